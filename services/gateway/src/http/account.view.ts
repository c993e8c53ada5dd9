import { type AccountState, INITIAL, type LinkedAccount, NotFoundError } from '@flywheel/core';
import type { AccountView } from '@flywheel/schemas';

/** The state of an account that exists; an account without events is not found. */
export function linkedAccount(id: string, state: AccountState): LinkedAccount {
  if (state.status === INITIAL) throw new NotFoundError(`account ${id} does not exist`);
  return state;
}

/** An account's state as the API shows it: profile, status details, never a credential. */
export function accountView(id: string, state: AccountState, streamSeq: number): AccountView {
  const a = linkedAccount(id, state);
  return {
    id,
    provider: a.provider,
    label: a.label,
    authType: a.authType,
    status: a.status,
    fingerprint: a.fingerprint,
    baseUrl: a.baseUrl,
    maxConcurrent: a.maxConcurrent,
    tokenExpiresAt: a.tokenExpiresAt,
    cooldown:
      a.status === 'Cooldown'
        ? { until: a.until, source: a.source }
        : a.status === 'Verifying' && a.pendingCooldown
          ? { ...a.pendingCooldown }
          : null,
    error: a.status === 'Error' ? { code: a.code, reason: a.reason } : null,
    expiredCause: a.status === 'Expired' ? a.cause : null,
    revokedReason: a.status === 'Revoked' ? a.reason : null,
    streamSeq,
  };
}
