import type { AggregateType } from '@flywheel/schemas';
import type { Kysely, Selectable } from 'kysely';
import type { Database, EventIndexTable } from '../db/schema';
import { iso } from './time';

/** One event of an aggregate's history, as the event index keeps it. */
export interface HistoryEntry {
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly at: string;
  readonly actor: { readonly kind: string; readonly id: string };
  readonly causationId: string;
  readonly correlationId: string;
  readonly data: Record<string, unknown>;
  readonly seq: number;
}

/** Every event of one aggregate of `workspace`, oldest first (empty when it has none). */
export async function getAggregateHistory(
  db: Kysely<Database>,
  workspace: string,
  type: AggregateType,
  id: string,
): Promise<HistoryEntry[]> {
  const rows = await db
    .selectFrom('event_index')
    .selectAll()
    .where('workspace', '=', workspace)
    .where('aggregate_type', '=', type)
    .where('aggregate_id', '=', id)
    .orderBy('stream_seq')
    .orderBy('idx')
    .execute();
  return rows.map(historyEntry);
}

/** An event index row as history shows it (the audit log adds its aggregate and place in the commit). */
export function historyEntry(r: Selectable<EventIndexTable>): HistoryEntry {
  return {
    id: r.event_id,
    type: r.type,
    version: r.version,
    at: iso(r.at),
    actor: { kind: r.actor_kind, id: r.actor_id },
    causationId: r.causation_id,
    correlationId: r.correlation_id,
    data: r.data as Record<string, unknown>,
    seq: r.stream_seq,
  };
}
