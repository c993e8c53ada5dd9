import type { AccountDetail, AccountStatus, Provider } from '@flywheel/schemas';
import type { Kysely, Selectable } from 'kysely';
import type { AccountsTable, Database } from '../db/schema';
import { iso, isoOrNull } from './time';

type AccountRow = Selectable<AccountsTable> & { readonly sessions_running: number | null };

/** Most accounts one list returns; a workspace links a handful. */
const MAX_ACCOUNTS = 1000;

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

/** A workspace's accounts in the order they were linked, each with its running sessions; never a secret. */
export async function listAccounts(db: Kysely<Database>, workspace: string): Promise<AccountDetail[]> {
  const rows = await accounts(db, workspace).orderBy('a.created_seq').limit(MAX_ACCOUNTS).execute();
  return rows.map(detail);
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
