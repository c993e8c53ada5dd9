import type { LiveEvent } from './live-event';

/** A feed event as the gateway sends it, for tests. */
export function liveEvent(
  type: string,
  aggregateId: string,
  seq: number,
  data: Record<string, unknown> = {},
  at = '2026-01-01T00:00:00.000Z',
): LiveEvent {
  const aggregate = type.startsWith('Account') ? 'account' : type.startsWith('Agent') ? 'agent' : 'session';
  return {
    id: `cmd${seq}.0`,
    type,
    version: 1,
    aggregate: { type: aggregate, id: aggregateId },
    workspace: 'acme',
    at,
    actor: { kind: 'system', id: 'test' },
    data,
    seq,
  };
}
