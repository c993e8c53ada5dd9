import type { AccountRow } from '../api/resources';
import type { LiveEvent } from '../live/live-event';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Clears what belongs to one status only, so a row never shows a stale cooldown or error. */
function leave(row: AccountRow): AccountRow {
  return { ...row, cooldown: null, error: null, expiredCause: null };
}

/**
 * Folds one account event into the row the dashboard shows, as the API does; from null,
 * only `AccountLinked` makes a row.
 */
export function reduceAccount(row: AccountRow | null, event: LiveEvent): AccountRow | null {
  const d = event.data;
  const touched = { streamSeq: event.seq, updatedAt: event.at };
  if (event.type === 'AccountLinked') {
    if (row) return row;
    return {
      id: event.aggregate.id,
      provider: d.provider as AccountRow['provider'],
      label: str(d.label) ?? event.aggregate.id,
      authType: d.authType === 'oauth' ? 'oauth' : 'api_key',
      status: 'Verifying',
      fingerprint: str(d.fingerprint) ?? '',
      baseUrl: str(d.baseUrl),
      maxConcurrent: typeof d.maxConcurrent === 'number' ? d.maxConcurrent : 1,
      tokenExpiresAt: null,
      cooldown: null,
      error: null,
      expiredCause: null,
      revokedReason: null,
      sessionsRunning: 0,
      lastUsedAt: null,
      createdAt: event.at,
      ...touched,
    };
  }
  if (!row) return null;
  switch (event.type) {
    case 'AccountVerificationRequested':
      // A running cooldown still applies after the re-verification, so it stays on show.
      return {
        ...leave(row),
        ...touched,
        status: 'Verifying',
        cooldown: row.status === 'Cooldown' ? row.cooldown : null,
      };
    case 'AccountVerified':
    case 'AccountCooldownEnded':
      return { ...leave(row), ...touched, status: 'Active' };
    case 'AccountErrored':
      return {
        ...leave(row),
        ...touched,
        status: 'Error',
        error: { code: d.code as NonNullable<AccountRow['error']>['code'], reason: str(d.reason) ?? '' },
      };
    case 'AccountRateLimited':
      return {
        ...leave(row),
        ...touched,
        status: 'Cooldown',
        cooldown: {
          until: str(d.until) ?? event.at,
          source: d.source as NonNullable<AccountRow['cooldown']>['source'],
        },
      };
    case 'AccountExpired':
      return { ...leave(row), ...touched, status: 'Expired', expiredCause: str(d.cause) };
    case 'AccountReauthenticated':
      return {
        ...leave(row),
        ...touched,
        status: 'Active',
        fingerprint: str(d.fingerprint) ?? row.fingerprint,
        tokenExpiresAt: null,
      };
    case 'AccountTokensRefreshed':
      return {
        ...row,
        ...touched,
        fingerprint: str(d.fingerprint) ?? row.fingerprint,
        tokenExpiresAt: str(d.expiresAt),
      };
    case 'AccountRevoked':
      return { ...leave(row), ...touched, status: 'Revoked', revokedReason: str(d.reason) };
    default:
      return row;
  }
}
