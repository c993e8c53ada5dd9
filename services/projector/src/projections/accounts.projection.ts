import { type Database, ProjectionError, type StoredEvent } from '@flywheel/core';
import type { DomainEvent } from '@flywheel/schemas';
import type { Selectable } from 'kysely';
import type { CommitMessage, Projection, Row, RowChange, RowKey, RowView } from './projection';

export type AccountRow = Selectable<Database['accounts']>;
export type AccountSessionRow = Selectable<Database['account_sessions']>;

const ACCOUNTS = 'accounts';
const LINKS = 'account_sessions';

/** Columns that only apply to some statuses; cleared on every transition, as the aggregate does. */
const TRANSIENT = {
  cooldown_until: null,
  cooldown_source: null,
  error_code: null,
  error_reason: null,
  expired_cause: null,
  revoked_reason: null,
} as const;

function existing(row: AccountRow | undefined, e: StoredEvent): AccountRow {
  if (row === undefined) {
    throw new ProjectionError(`${e.type} for account ${e.aggregate.id}, which was never linked`);
  }
  return row;
}

/** Folds one account event into an account row; pure. */
export function applyAccountEvent(row: AccountRow | undefined, stored: StoredEvent): AccountRow {
  const at = new Date(stored.at);
  const event = { type: stored.type, data: stored.data } as DomainEvent;
  const touched = { updated_at: at, last_seq: stored.seq };
  switch (event.type) {
    case 'AccountLinked': {
      if (row !== undefined) throw new ProjectionError(`account ${stored.aggregate.id} was linked twice`);
      const d = event.data;
      return {
        ...TRANSIENT,
        ...touched,
        workspace: stored.workspace,
        id: stored.aggregate.id,
        status: 'Verifying',
        provider: d.provider,
        label: d.label,
        auth_type: d.authType,
        fingerprint: d.fingerprint,
        base_url: d.baseUrl,
        max_concurrent: d.maxConcurrent,
        token_expires_at: null,
        last_used_at: null,
        created_at: at,
        created_seq: stored.seq,
      };
    }
    case 'AccountVerificationRequested': {
      const s = existing(row, stored);
      // A cooldown running when re-verification was asked for still applies afterwards.
      const cooling = s.status === 'Cooldown';
      return {
        ...s,
        ...TRANSIENT,
        ...touched,
        status: 'Verifying',
        cooldown_until: cooling ? s.cooldown_until : null,
        cooldown_source: cooling ? s.cooldown_source : null,
      };
    }
    case 'AccountVerified':
    case 'AccountCooldownEnded':
      return { ...existing(row, stored), ...TRANSIENT, ...touched, status: 'Active' };
    case 'AccountErrored':
      return {
        ...existing(row, stored),
        ...TRANSIENT,
        ...touched,
        status: 'Error',
        error_code: event.data.code,
        error_reason: event.data.reason,
      };
    case 'AccountRateLimited':
      return {
        ...existing(row, stored),
        ...TRANSIENT,
        ...touched,
        status: 'Cooldown',
        cooldown_until: new Date(event.data.until),
        cooldown_source: event.data.source,
      };
    case 'AccountExpired':
      return {
        ...existing(row, stored),
        ...TRANSIENT,
        ...touched,
        status: 'Expired',
        expired_cause: event.data.cause,
      };
    case 'AccountReauthenticated':
      return {
        ...existing(row, stored),
        ...TRANSIENT,
        ...touched,
        status: 'Active',
        fingerprint: event.data.fingerprint,
        token_expires_at: null,
      };
    case 'AccountTokensRefreshed':
      return {
        ...existing(row, stored),
        ...touched,
        fingerprint: event.data.fingerprint,
        token_expires_at: new Date(event.data.expiresAt),
      };
    case 'AccountRevoked':
      return {
        ...existing(row, stored),
        ...TRANSIENT,
        ...touched,
        status: 'Revoked',
        revoked_reason: event.data.reason,
      };
    default:
      throw new ProjectionError(`${stored.type} is not an account event`);
  }
}

/** Session events that take a session off its account. */
const RELEASES = new Set(['SessionRequeued', 'SessionCompleted', 'SessionFailed', 'SessionCancelled']);

function accountKey(workspace: string, id: string): RowKey {
  return [workspace, id];
}

function sessionChanges(m: CommitMessage, rows: RowView): RowChange[] {
  const changes: RowChange[] = [];
  const used = new Map<string, AccountRow>();
  for (const e of m.events) {
    const link: RowKey = [e.workspace, e.aggregate.id];
    if (e.type === 'SessionAssigned') {
      const { accountId } = e.data as { accountId: string };
      const row: AccountSessionRow = {
        workspace: e.workspace,
        session_id: e.aggregate.id,
        account_id: accountId,
        since: new Date(e.at),
      };
      changes.push({ op: 'put', table: LINKS, row });
      const account =
        used.get(accountId) ?? (rows.get(ACCOUNTS, accountKey(e.workspace, accountId)) as AccountRow);
      // An assignment to an account this model never saw still counts as running; there is no row to stamp.
      if (account !== undefined) used.set(accountId, { ...account, last_used_at: new Date(e.at) });
    } else if (RELEASES.has(e.type)) {
      changes.push({ op: 'delete', table: LINKS, key: link });
    }
  }
  for (const row of used.values()) changes.push({ op: 'put', table: ACCOUNTS, row });
  return changes;
}

/**
 * `accounts`: one row per account (status, cooldown, error, fingerprint, last use) and the
 * sessions each one runs, from account events and the session events that assign and release.
 */
export const accountsProjection: Projection<CommitMessage> = {
  name: 'accounts',
  tables: [
    { name: ACCOUNTS, key: ['workspace', 'id'], mode: 'state' },
    { name: LINKS, key: ['workspace', 'session_id'], mode: 'state' },
  ],
  reads(m) {
    const first = m.events[0]!;
    if (first.aggregate.type === 'account')
      return [[ACCOUNTS, accountKey(first.workspace, first.aggregate.id)]];
    if (first.aggregate.type !== 'session') return [];
    return m.events
      .filter((e) => e.type === 'SessionAssigned')
      .map((e) => [ACCOUNTS, accountKey(e.workspace, (e.data as { accountId: string }).accountId)] as const);
  },
  apply(m, rows) {
    const first = m.events[0]!;
    if (first.aggregate.type === 'session') return sessionChanges(m, rows);
    if (first.aggregate.type !== 'account') return [];
    let row = rows.get(ACCOUNTS, accountKey(first.workspace, first.aggregate.id)) as AccountRow | undefined;
    for (const e of m.events) row = applyAccountEvent(row, e);
    return [{ op: 'put', table: ACCOUNTS, row: row as Row }];
  },
};
