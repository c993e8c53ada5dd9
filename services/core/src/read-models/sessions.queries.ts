import type { Provider, SessionDetail, SessionPage, SessionStatus } from '@flywheel/schemas';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { type CursorCodec, keysetPage } from './cursor';
import { sessionTimes } from './session-item';
import { isoOrNull } from './time';

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

/**
 * One page of a workspace's sessions, newest first, as the JSON text of a `SessionPage`.
 * Each row's list item is stored as JSON text by the projector (`sessionItemJson`), so a
 * page is an index scan returning 51 strings, joined here without parsing them.
 * Keyset pagination on the stream sequence of each session's creation: a session created
 * while a client pages sorts before its cursor, so later pages neither skip nor repeat a row.
 */
export async function listSessionsJson(
  db: Kysely<Database>,
  cursors: CursorCodec,
  q: ListSessionsQuery,
): Promise<string> {
  const after = q.cursor === undefined ? null : cursors.decode(q.workspace, LIST, q.cursor);
  let query = db
    .selectFrom('sessions')
    .select(['item', 'created_seq'])
    .where('workspace', '=', q.workspace)
    .orderBy('created_seq', 'desc')
    .limit(q.limit + 1);
  if (q.status !== undefined) query = query.where('status', '=', q.status);
  if (q.provider !== undefined) query = query.where('provider', '=', q.provider);
  if (after !== null) query = query.where('created_seq', '<', after);
  const rows = await query.execute();
  const { page, nextCursor } = keysetPage(rows, q.limit, (last) =>
    cursors.encode(q.workspace, LIST, last.created_seq),
  );
  return `{"items":[${page.map((r) => r.item).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`;
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
    ...sessionTimes(r),
  };
}
