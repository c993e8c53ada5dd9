import type { StoredEvent } from '@flywheel/core';
import type { AggregateType, DomainEvent } from '@flywheel/schemas';
import type { CommitMessage, Row, RowView } from './projection';

let seq = 0;

/** A commit of `events` for one aggregate, as the engine hands it to projections (tests only). */
export function commit(
  aggregate: AggregateType,
  id: string,
  events: readonly DomainEvent[],
  at = '2026-03-01T12:00:00.000Z',
  workspace = 'acme',
): CommitMessage {
  const s = ++seq;
  return {
    seq: s,
    events: events.map(
      (e, i) =>
        ({
          id: `c${s}.${i}`,
          type: e.type,
          version: 1,
          aggregate: { type: aggregate, id },
          workspace,
          at,
          actor: { kind: 'user', id: 'u1' },
          causationId: `c${s}`,
          correlationId: `c${s}`,
          data: e.data,
          seq: s,
        }) as StoredEvent,
    ),
  };
}

/** An in-memory table set: what the shell would have loaded. */
export function memoryRows(): RowView & { put(table: string, key: readonly string[], row: Row): void } {
  const rows = new Map<string, Row>();
  return {
    get: (table, key) => rows.get(`${table}|${key.join('|')}`),
    put: (table, key, row) => {
      rows.set(`${table}|${key.join('|')}`, row);
    },
  };
}
