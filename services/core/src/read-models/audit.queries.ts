import type { AggregateType, AuditEvent, AuditPage, EventType } from '@flywheel/schemas';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { type CursorCodec, keysetPage } from './cursor';
import { historyEntry } from './history.queries';

export interface AuditLogQuery {
  readonly workspace: string;
  readonly aggregateType?: AggregateType;
  /** Only with `aggregateType`. */
  readonly aggregateId?: string;
  readonly type?: EventType;
  readonly actorId?: string;
  /** 1..200 */
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

const LIST = 'events';

/**
 * One page of a workspace's events from the event index, newest first. Keyset pagination
 * on (stream sequence, index in the commit): an event appended while a client pages sorts
 * before its cursor, so later pages neither skip nor repeat one. An aggregate's events are
 * read through the per-aggregate index; the rest walk the workspace's index backwards.
 */
export async function listAuditEvents(
  db: Kysely<Database>,
  cursors: CursorCodec,
  q: AuditLogQuery,
): Promise<AuditPage> {
  const after = q.cursor === undefined ? null : cursors.decodePair(q.workspace, LIST, q.cursor);
  let query = db
    .selectFrom('event_index')
    .selectAll()
    .where('workspace', '=', q.workspace)
    .orderBy('stream_seq', 'desc')
    .orderBy('idx', 'desc')
    .limit(q.limit + 1);
  if (q.aggregateType !== undefined) query = query.where('aggregate_type', '=', q.aggregateType);
  if (q.aggregateId !== undefined) query = query.where('aggregate_id', '=', q.aggregateId);
  if (q.type !== undefined) query = query.where('type', '=', q.type);
  if (q.actorId !== undefined) query = query.where('actor_id', '=', q.actorId);
  if (after !== null) {
    const [seq, idx] = after;
    // The first condition bounds the index scan; the second drops the cursor's commit's later events.
    query = query
      .where('stream_seq', '<=', seq)
      .where((eb) => eb.or([eb('stream_seq', '<', seq), eb('idx', '<', idx)]));
  }
  const rows = await query.execute();
  const { page, nextCursor } = keysetPage(rows, q.limit, (last) =>
    cursors.encode(q.workspace, LIST, [last.stream_seq, last.idx]),
  );
  const items = page.map(
    (r): AuditEvent => ({
      ...historyEntry(r),
      aggregate: { type: r.aggregate_type as AggregateType, id: r.aggregate_id },
      idx: r.idx,
    }),
  );
  return { items, nextCursor };
}
