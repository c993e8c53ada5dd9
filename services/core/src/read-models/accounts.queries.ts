import type { AccountDetail, AccountList, AccountStatus, Provider } from '@flywheel/schemas';
import type { Kysely, Selectable } from 'kysely';
import type { AccountsTable, Database } from '../db/schema';
import { type CursorCodec, keysetPage } from './cursor';
import { iso, isoOrNull } from './time';

type AccountRow = Selectable<AccountsTable> & { readonly sessions_running: number | null };

export interface ListAccountsQuery {
  readonly workspace: string;
  readonly status?: AccountStatus;
  readonly provider?: Provider;
  /** 1..500 */
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

const LIST = 'accounts';

function detail(r: AccountRow): AccountDetail {
  return {
    id: r.id,
    provider: r.provider as Provider,
    label: r.label,
    authType: r.auth_type as AccountDetail['authType'],
    status: r.status as AccountStatus,
    fingerprint: r.fingerprint,
    baseUrl: r.base_url,
    maxConcurrent: r.max_concurrent,
    tokenExpiresAt: isoOrNull(r.token_expires_at),
    cooldown:
      r.cooldown_until === null
        ? null
        : {
            until: iso(r.cooldown_until),
            source: r.cooldown_source as NonNullable<AccountDetail['cooldown']>['source'],
          },
    error:
      r.error_code === null
        ? null
        : { code: r.error_code as NonNullable<AccountDetail['error']>['code'], reason: r.error_reason ?? '' },
    expiredCause: r.expired_cause,
    revokedReason: r.revoked_reason,
    streamSeq: r.last_seq,
    sessionsRunning: Number(r.sessions_running ?? 0),
    lastUsedAt: isoOrNull(r.last_used_at),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

function accounts(db: Kysely<Database>, workspace: string) {
  return db
    .selectFrom('accounts as a')
    .selectAll('a')
    .select((eb) =>
      eb
        .selectFrom('account_sessions as l')
        .whereRef('l.workspace', '=', 'a.workspace')
        .whereRef('l.account_id', '=', 'a.id')
        .select(eb.fn.countAll<number>().as('n'))
        .as('sessions_running'),
    )
    .where('a.workspace', '=', workspace);
}

/**
 * One page of a workspace's accounts in the order they were linked, each with its running
 * sessions; never a secret. Keyset pagination on the sequence of each account's link: an
 * account linked while a client pages sorts after every cursor given out, so no row is
 * skipped or repeated.
 */
export async function listAccounts(
  db: Kysely<Database>,
  cursors: CursorCodec,
  q: ListAccountsQuery,
): Promise<AccountList> {
  const after = q.cursor === undefined ? null : cursors.decode(q.workspace, LIST, q.cursor);
  let query = accounts(db, q.workspace)
    .orderBy('a.created_seq')
    .limit(q.limit + 1);
  if (q.status !== undefined) query = query.where('a.status', '=', q.status);
  if (q.provider !== undefined) query = query.where('a.provider', '=', q.provider);
  if (after !== null) query = query.where('a.created_seq', '>', after);
  const rows = await query.execute();
  const { page, nextCursor } = keysetPage(rows, q.limit, (last) =>
    cursors.encode(q.workspace, LIST, last.created_seq),
  );
  return { items: page.map(detail), nextCursor };
}

/** One account of `workspace`; null when there is none. */
export async function getAccount(
  db: Kysely<Database>,
  workspace: string,
  id: string,
): Promise<AccountDetail | null> {
  const row = await accounts(db, workspace).where('a.id', '=', id).executeTakeFirst();
  return row === undefined ? null : detail(row);
}
