import type { Database } from '@flywheel/core';
import { currentVersion, type EventType } from '@flywheel/schemas';
import type { Selectable } from 'kysely';
import type { CommitMessage, Projection } from './projection';

export type EventIndexRow = Selectable<Database['event_index']>;

const TABLE = 'event_index';

/** `event-index`: every event with its envelope, for per-aggregate history and the audit view. */
export const eventIndexProjection: Projection<CommitMessage> = {
  name: 'event-index',
  tables: [{ name: TABLE, key: ['stream_seq', 'idx'], mode: 'append', keyIsUnique: true }],
  reads: () => [],
  apply: (m) =>
    m.events.map((e, idx) => {
      const row: EventIndexRow = {
        stream_seq: m.seq,
        idx,
        event_id: e.id,
        type: e.type,
        // Data is upcast when read, so the version kept is the one the data now has.
        version: currentVersion(e.type as EventType),
        workspace: e.workspace,
        aggregate_type: e.aggregate.type,
        aggregate_id: e.aggregate.id,
        at: new Date(e.at),
        actor_kind: e.actor.kind,
        actor_id: e.actor.id,
        causation_id: e.causationId,
        correlation_id: e.correlationId,
        data: e.data,
      };
      return { op: 'insert', table: TABLE, row };
    }),
};
