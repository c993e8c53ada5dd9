import type { Provider, SessionDetail, SessionPage, SessionStatus, SessionSummary } from '@flywheel/schemas';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SessionsTable } from '../db/schema';
import type { CursorCodec } from './cursor';
import { iso, isoOrNull, isoText, isoTextOrNull } from './time';

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

const SUMMARY_COLUMNS = [
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
  'reason',
  'metadata',
  'created_seq',
  'last_seq',
] as const;

/** The list's timestamps, formatted by Postgres (see `isoText`). */
const SUMMARY_TIMES = [
  isoTextOrNull('queue_eta'),
  isoText('created_at'),
  isoText('queued_at'),
  isoTextOrNull('assigned_at'),
  isoTextOrNull('started_at'),
  isoTextOrNull('finished_at'),
  isoText('updated_at'),
] as const;

type SummaryRow = Pick<Selectable<SessionsTable>, (typeof SUMMARY_COLUMNS)[number]> & {
  readonly queue_eta: string | null;
  readonly created_at: string;
  readonly queued_at: string;
  readonly assigned_at: string | null;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  readonly updated_at: string;
};

function summary(r: SummaryRow): SessionSummary {
  return {
    id: r.id,
    status: r.status as SessionStatus,
    provider: r.provider as Provider,
    model: r.model,
    promptPreview: r.prompt_preview,
    accountId: r.account_id,
    agentId: r.agent_id,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    queueReason: r.queue_reason,
    eta: r.queue_eta,
    reason: r.reason,
    metadata: r.metadata,
    createdAt: r.created_at,
    queuedAt: r.queued_at,
    assignedAt: r.assigned_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
    streamSeq: r.last_seq,
  };
}

/**
 * One page of a workspace's sessions, newest first. Keyset pagination on the stream
 * sequence of each session's creation: a session created while a client pages sorts
 * before its cursor, so later pages neither skip nor repeat a row.
 */
export async function listSessions(
  db: Kysely<Database>,
  cursors: CursorCodec,
  q: ListSessionsQuery,
): Promise<SessionPage> {
  const after = q.cursor === undefined ? null : cursors.decode(q.workspace, LIST, q.cursor);
  let query = db
    .selectFrom('sessions')
    .select([...SUMMARY_COLUMNS, ...SUMMARY_TIMES])
    .where('workspace', '=', q.workspace)
    .orderBy('created_seq', 'desc')
    .limit(q.limit + 1);
  if (q.status !== undefined) query = query.where('status', '=', q.status);
  if (q.provider !== undefined) query = query.where('provider', '=', q.provider);
  if (after !== null) query = query.where('created_seq', '<', after);
  const rows = await query.execute();
  const page = rows.slice(0, q.limit);
  const more = rows.length > q.limit;
  return {
    items: page.map(summary),
    nextCursor: more ? cursors.encode(q.workspace, LIST, page.at(-1)!.created_seq) : null,
  };
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
