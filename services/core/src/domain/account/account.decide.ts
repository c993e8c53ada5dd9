import type { AccountCommand, AccountEvent } from '@flywheel/schemas';
import type { DecideContext } from '../decide-context';
import { INITIAL, rejectCommand, requireStatus, unknownCommand } from '../status-guards';
import type { AccountState } from './account.state';

type Command<T extends AccountCommand['type']> = Extract<AccountCommand, { readonly type: T }>;

/** Every status a linked account can leave; only Revoked is terminal. */
const NOT_REVOKED = ['Verifying', 'Active', 'Cooldown', 'Expired', 'Error'] as const;

/** Links a new account; it is verified before any session may use it. */
export function linkAccount(command: Command<'LinkAccount'>, state: AccountState): AccountEvent[] {
  if (state.status !== INITIAL) {
    throw rejectCommand('account', state.status, command.type, 'it is already linked');
  }
  const { provider, label, authType, fingerprint, baseUrl, maxConcurrent } = command.data;
  return [
    { type: 'AccountLinked', data: { provider, label, authType, fingerprint, baseUrl, maxConcurrent } },
  ];
}

/** Asks for the credential to be checked again; a verification already under way is not restarted. */
export function requestAccountVerification(
  command: Command<'RequestAccountVerification'>,
  state: AccountState,
): AccountEvent[] {
  const s = requireStatus(
    'account',
    state,
    command.type,
    ['Verifying', 'Active', 'Cooldown', 'Error'],
    'be verified',
  );
  if (s.status === 'Verifying') return [];
  return [{ type: 'AccountVerificationRequested', data: {} }];
}

/**
 * Records a successful verification. A duplicate (the account is already Active or
 * cooling) records nothing, because verification replies can race. A cooldown that was
 * running when re-verification began and has not ended yet is put back.
 */
export function recordAccountVerified(
  command: Command<'RecordAccountVerified'>,
  state: AccountState,
  ctx: DecideContext,
): AccountEvent[] {
  const s = requireStatus(
    'account',
    state,
    command.type,
    ['Verifying', 'Active', 'Cooldown'],
    'record a verification',
  );
  if (s.status !== 'Verifying') return [];
  const cooldown = s.pendingCooldown;
  // Re-verifying must not end a running cooldown early: a new limit never shortens one.
  if (cooldown !== null && Date.parse(cooldown.until) > ctx.now.getTime()) {
    return [
      { type: 'AccountVerified', data: {} },
      {
        type: 'AccountRateLimited',
        data: { until: cooldown.until, source: cooldown.source, sessionId: null },
      },
    ];
  }
  return [{ type: 'AccountVerified', data: {} }];
}

/** Records that the provider refused the credential; the same error twice records nothing. */
export function recordAccountError(
  command: Command<'RecordAccountError'>,
  state: AccountState,
): AccountEvent[] {
  const s = requireStatus(
    'account',
    state,
    command.type,
    ['Verifying', 'Active', 'Error'],
    'record an error',
  );
  const { code, reason } = command.data;
  if (s.status === 'Error' && s.code === code && s.reason === reason) return [];
  return [{ type: 'AccountErrored', data: { code, reason } }];
}

/**
 * Puts an account into cooldown until the provider's reset time. In a running cooldown a
 * later end extends it; an earlier or equal one records nothing, so a limit never shortens it.
 */
export function recordRateLimit(command: Command<'RecordRateLimit'>, state: AccountState): AccountEvent[] {
  const s = requireStatus('account', state, command.type, ['Active', 'Cooldown'], 'be rate limited');
  const { until, source, sessionId } = command.data;
  if (s.status === 'Cooldown' && Date.parse(until) <= Date.parse(s.until)) return [];
  return [{ type: 'AccountRateLimited', data: { until, source, sessionId } }];
}

/** Ends a cooldown whose time has come. */
export function endCooldown(
  command: Command<'EndCooldown'>,
  state: AccountState,
  ctx: DecideContext,
): AccountEvent[] {
  const s = requireStatus('account', state, command.type, ['Cooldown'], 'end a cooldown');
  if (ctx.now.getTime() < Date.parse(s.until)) {
    throw rejectCommand('account', s.status, command.type, `the cooldown runs until ${s.until}`, {
      until: s.until,
    });
  }
  return [{ type: 'AccountCooldownEnded', data: {} }];
}

/**
 * Marks an OAuth account whose tokens can no longer be refreshed. Allowed in Cooldown too:
 * tokens are refreshed on their own schedule, so a refresh can fail while the account cools.
 */
export function markAccountExpired(
  command: Command<'MarkAccountExpired'>,
  state: AccountState,
): AccountEvent[] {
  const s = requireStatus('account', state, command.type, ['Active', 'Cooldown'], 'expire');
  if (s.authType !== 'oauth') {
    throw rejectCommand(
      'account',
      s.status,
      command.type,
      'it uses an API key, and only OAuth logins expire',
      {
        authType: s.authType,
      },
    );
  }
  return [{ type: 'AccountExpired', data: { cause: command.data.cause } }];
}

/** Brings an expired OAuth account back with the tokens of a new login. */
export function reauthenticateAccount(
  command: Command<'ReauthenticateAccount'>,
  state: AccountState,
): AccountEvent[] {
  requireStatus('account', state, command.type, ['Expired'], 'be re-authenticated');
  return [{ type: 'AccountReauthenticated', data: { fingerprint: command.data.fingerprint } }];
}

/** Records refreshed OAuth tokens: a new fingerprint and expiry, the status unchanged. */
export function recordTokensRefreshed(
  command: Command<'RecordTokensRefreshed'>,
  state: AccountState,
): AccountEvent[] {
  const s = requireStatus('account', state, command.type, ['Active', 'Cooldown'], 'refresh its tokens');
  if (s.authType !== 'oauth') {
    throw rejectCommand(
      'account',
      s.status,
      command.type,
      'it uses an API key, which has no tokens to refresh',
      {
        authType: s.authType,
      },
    );
  }
  const { fingerprint, expiresAt } = command.data;
  return [{ type: 'AccountTokensRefreshed', data: { fingerprint, expiresAt } }];
}

/** Revokes an account for good; nothing is accepted afterwards. */
export function revokeAccount(command: Command<'RevokeAccount'>, state: AccountState): AccountEvent[] {
  requireStatus('account', state, command.type, NOT_REVOKED, 'be revoked');
  return [{ type: 'AccountRevoked', data: { reason: command.data.reason } }];
}

/**
 * Decides what an account command means for the account in `state`: the events to append
 * (empty for a no-op), or a thrown `InvalidTransitionError` / `NotFoundError`.
 */
export function decideAccount(
  command: AccountCommand,
  state: AccountState,
  ctx: DecideContext,
): AccountEvent[] {
  switch (command.type) {
    case 'LinkAccount':
      return linkAccount(command, state);
    case 'RequestAccountVerification':
      return requestAccountVerification(command, state);
    case 'RecordAccountVerified':
      return recordAccountVerified(command, state, ctx);
    case 'RecordAccountError':
      return recordAccountError(command, state);
    case 'RecordRateLimit':
      return recordRateLimit(command, state);
    case 'EndCooldown':
      return endCooldown(command, state, ctx);
    case 'MarkAccountExpired':
      return markAccountExpired(command, state);
    case 'ReauthenticateAccount':
      return reauthenticateAccount(command, state);
    case 'RecordTokensRefreshed':
      return recordTokensRefreshed(command, state);
    case 'RevokeAccount':
      return revokeAccount(command, state);
    default:
      return unknownCommand('account', command);
  }
}
