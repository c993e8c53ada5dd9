import type { Provider, SessionDetail, SessionPage, SessionStatus, SessionSummary } from '@flywheel/schemas';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../db/schema';
import type { CursorCodec } from './cursor';
import { iso, isoOrNull, isoSql } from './time';

export interface ListSessionsQuery {
  readonly workspace: string;
  readonly status?: SessionStatus;
  readonly provider?: Provider;
  /** 1..200 */
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

const LIST = 'sessions';

/** Every field of a list item, in the schema's order, as Postgres computes it. */
const ITEM_FIELDS: { readonly [K in keyof SessionSummary]-?: RawBuilder<unknown> } = {
  id: sql.ref('id'),
  status: sql.ref('status'),
  provider: sql.ref('provider'),
  model: sql.ref('model'),
  promptPreview: sql.ref('prompt_preview'),
  accountId: sql.ref('account_id'),
  agentId: sql.ref('agent_id'),
  attempts: sql.ref('attempts'),
  maxAttempts: sql.ref('max_attempts'),
  queueReason: sql.ref('queue_reason'),
  eta: isoSql('queue_eta'),
  reason: sql.ref('reason'),
  metadata: sql.ref('metadata'),
  createdAt: isoSql('created_at'),
  queuedAt: isoSql('queued_at'),
  assignedAt: isoSql('assigned_at'),
  startedAt: isoSql('started_at'),
  finishedAt: isoSql('finished_at'),
  updatedAt: isoSql('updated_at'),
  streamSeq: sql.ref('last_seq'),
};

/** The columns `ITEM_FIELDS` reads. */
const ITEM_COLUMNS = [
  'id',
  'status',
  'provider',
  'model',
  'prompt_preview',
  'account_id',
  'agent_id',
  'attempts',
  'max_attempts',
  'queue_reason',
  'queue_eta',
  'reason',
  'metadata',
  'created_at',
  'queued_at',
  'assigned_at',
  'started_at',
  'finished_at',
  'updated_at',
  'created_seq',
  'last_seq',
] as const;

const ITEM = sql`json_build_object(${sql.join(
  Object.entries(ITEM_FIELDS).map(([field, value]) => sql`${sql.lit(field)}, ${value}`),
)})`;

/**
 * One page of a workspace's sessions, newest first, as the JSON text of a `SessionPage`.
 * Postgres builds the items' JSON: a JS object per row, parsed by the driver and
 * serialized again, cost the gateway several times what the query does.
 * Keyset pagination on the stream sequence of each session's creation: a session created
 * while a client pages sorts before its cursor, so later pages neither skip nor repeat a row.
 */
export async function listSessionsJson(
  db: Kysely<Database>,
  cursors: CursorCodec,
  q: ListSessionsQuery,
): Promise<string> {
  const after = q.cursor === undefined ? null : cursors.decode(q.workspace, LIST, q.cursor);
  // One row past the page tells whether there is a next one.
  let fetched = db
    .selectFrom('sessions')
    .select(ITEM_COLUMNS)
    .where('workspace', '=', q.workspace)
    .orderBy('created_seq', 'desc')
    .limit(q.limit + 1);
  if (q.status !== undefined) fetched = fetched.where('status', '=', q.status);
  if (q.provider !== undefined) fetched = fetched.where('provider', '=', q.provider);
  if (after !== null) fetched = fetched.where('created_seq', '<', after);
  const numbered = db
    .selectFrom(fetched.as('f'))
    .selectAll('f')
    .select(sql<number>`row_number() over (order by created_seq desc)`.as('n'));
  const inPage = sql`n <= ${q.limit}`;
  const { items, rows, last } = await db
    .selectFrom(numbered.as('s'))
    .select([
      // ::text so the driver hands the JSON over as it is instead of parsing it.
      sql<string>`coalesce(json_agg(${ITEM} order by n) filter (where ${inPage}), '[]')::text`.as('items'),
      sql<number>`count(*)::int`.as('rows'),
      sql<number | null>`min(created_seq) filter (where ${inPage})`.as('last'),
    ])
    .executeTakeFirstOrThrow();
  const nextCursor = rows > q.limit && last !== null ? cursors.encode(q.workspace, LIST, last) : null;
  return `{"items":${items},"nextCursor":${JSON.stringify(nextCursor)}}`;
}

/** One page of a workspace's sessions, newest first (see `listSessionsJson`). */
export async function listSessions(
  db: Kysely<Database>,
  cursors: CursorCodec,
  q: ListSessionsQuery,
): Promise<SessionPage> {
  return JSON.parse(await listSessionsJson(db, cursors, q)) as SessionPage;
}

/** A session of `workspace` with every field and transition time; null when there is none. */
export async function getSession(
  db: Kysely<Database>,
  workspace: string,
  id: string,
): Promise<SessionDetail | null> {
  const r = await db
    .selectFrom('sessions')
    .selectAll()
    .where('workspace', '=', workspace)
    .where('id', '=', id)
    .executeTakeFirst();
  if (r === undefined) return null;
  return {
    id: r.id,
    status: r.status as SessionStatus,
    provider: r.provider as Provider,
    prompt: r.prompt,
    model: r.model,
    requestedAccountId: r.requested_account_id,
    metadata: r.metadata,
    maxAttempts: r.max_attempts,
    attempts: r.attempts,
    failedAccountIds: r.failed_account_ids,
    accountId: r.account_id,
    agentId: r.agent_id,
    queueReason: r.queue_reason,
    eta: isoOrNull(r.queue_eta),
    reason: r.reason,
    outputChunks: r.output_chunks,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    streamSeq: r.last_seq,
    createdAt: iso(r.created_at),
    queuedAt: iso(r.queued_at),
    assignedAt: isoOrNull(r.assigned_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    updatedAt: iso(r.updated_at),
  };
}
