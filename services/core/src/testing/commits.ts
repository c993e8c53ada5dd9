import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '@flywheel/schemas';
import type { EventStore, StreamRef } from '../event-store/event-store';

type SessionRequestedData = Extract<DomainEvent, { type: 'SessionRequested' }>['data'];

/** A session request of `prompt`: the values a test does not care about, except those in `data`. */
export function sessionRequested(
  prompt = 'write tests',
  data: Partial<SessionRequestedData> = {},
): DomainEvent {
  return {
    type: 'SessionRequested',
    data: {
      provider: 'anthropic',
      prompt,
      model: null,
      requestedAccountId: null,
      metadata: {},
      maxAttempts: 3,
      ...data,
    },
  };
}

/** Appends `events` as one command of user `actor` at aggregate version `version`; resolves with the new version (the commit's stream sequence). */
export async function appendCommand(
  store: EventStore,
  ref: StreamRef,
  version: number,
  events: DomainEvent[],
  actor = 'test',
): Promise<number> {
  const id = randomUUID();
  const r = await store.append(ref, version, events, {
    commandId: id,
    correlationId: id,
    actor: { kind: 'user', id: actor },
    now: new Date(),
  });
  return r.version;
}
