import type { AccountEvent, EventData } from '@flywheel/schemas';
import type { Evolver } from '../../event-store/command-handler';
import { expectStatus, INITIAL, unknownEvent } from '../status-guards';

/** What every linked account carries, whatever its status. Never the credential itself. */
export interface AccountProfile extends Readonly<EventData<'AccountLinked'>> {
  /** When the current OAuth access token expires (null for API keys and until the first refresh). */
  readonly tokenExpiresAt: string | null;
}

/** When a cooldown ends and who said so. */
export type Cooldown = Readonly<Pick<EventData<'AccountRateLimited'>, 'until' | 'source'>>;

export interface InitialAccount {
  readonly status: typeof INITIAL;
}

export interface VerifyingAccount extends AccountProfile {
  readonly status: 'Verifying';
  /** The cooldown that was running when re-verification was asked for; it still applies afterwards. */
  readonly pendingCooldown: Cooldown | null;
}

export interface ActiveAccount extends AccountProfile {
  readonly status: 'Active';
}

export interface CooldownAccount extends AccountProfile, Cooldown {
  readonly status: 'Cooldown';
}

/** OAuth tokens that can no longer be refreshed; the user must log in again. */
export interface ExpiredAccount extends AccountProfile {
  readonly status: 'Expired';
  readonly cause: string;
}

/** The provider refused the credential; `reason` is the provider's own word. */
export interface ErrorAccount extends AccountProfile, Readonly<EventData<'AccountErrored'>> {
  readonly status: 'Error';
}

export interface RevokedAccount extends AccountProfile {
  readonly status: 'Revoked';
  readonly reason: string | null;
}

export type AccountState =
  | InitialAccount
  | VerifyingAccount
  | ActiveAccount
  | CooldownAccount
  | ExpiredAccount
  | ErrorAccount
  | RevokedAccount;

export type LinkedAccount = Exclude<AccountState, InitialAccount>;

function initialState(): AccountState {
  return { status: INITIAL };
}

function profile(state: LinkedAccount): AccountProfile {
  return {
    provider: state.provider,
    label: state.label,
    authType: state.authType,
    fingerprint: state.fingerprint,
    baseUrl: state.baseUrl,
    maxConcurrent: state.maxConcurrent,
    tokenExpiresAt: state.tokenExpiresAt,
  };
}

function evolve(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'AccountLinked': {
      expectStatus('account', state, event, [INITIAL]);
      const { provider, label, authType, fingerprint, baseUrl, maxConcurrent } = event.data;
      return {
        status: 'Verifying',
        provider,
        label,
        authType,
        fingerprint,
        baseUrl,
        maxConcurrent,
        tokenExpiresAt: null,
        pendingCooldown: null,
      };
    }
    case 'AccountVerificationRequested': {
      const s = expectStatus('account', state, event, ['Active', 'Cooldown', 'Error']);
      const pendingCooldown = s.status === 'Cooldown' ? { until: s.until, source: s.source } : null;
      return { ...profile(s), status: 'Verifying', pendingCooldown };
    }
    case 'AccountVerified': {
      const s = expectStatus('account', state, event, ['Verifying']);
      return { ...profile(s), status: 'Active' };
    }
    case 'AccountErrored': {
      const s = expectStatus('account', state, event, ['Verifying', 'Active', 'Error']);
      return { ...profile(s), status: 'Error', code: event.data.code, reason: event.data.reason };
    }
    case 'AccountRateLimited': {
      const s = expectStatus('account', state, event, ['Active', 'Cooldown']);
      return { ...profile(s), status: 'Cooldown', until: event.data.until, source: event.data.source };
    }
    case 'AccountCooldownEnded': {
      const s = expectStatus('account', state, event, ['Cooldown']);
      return { ...profile(s), status: 'Active' };
    }
    case 'AccountExpired': {
      const s = expectStatus('account', state, event, ['Active', 'Cooldown']);
      return { ...profile(s), status: 'Expired', cause: event.data.cause };
    }
    case 'AccountReauthenticated': {
      const s = expectStatus('account', state, event, ['Expired']);
      // New tokens: the old expiry no longer applies until the next refresh reports one.
      return { ...profile(s), status: 'Active', fingerprint: event.data.fingerprint, tokenExpiresAt: null };
    }
    case 'AccountTokensRefreshed': {
      const s = expectStatus('account', state, event, ['Active', 'Cooldown']);
      return { ...s, fingerprint: event.data.fingerprint, tokenExpiresAt: event.data.expiresAt };
    }
    case 'AccountRevoked': {
      const s = expectStatus('account', state, event, [
        'Verifying',
        'Active',
        'Cooldown',
        'Expired',
        'Error',
      ]);
      return { ...profile(s), status: 'Revoked', reason: event.data.reason };
    }
    default:
      return unknownEvent('account', event);
  }
}

/** Folds an account's events into its state. */
export const accountEvolver: Evolver<AccountState, AccountEvent> = { initialState, evolve };
