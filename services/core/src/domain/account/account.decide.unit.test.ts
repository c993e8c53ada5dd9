import type { AccountCommand, AccountEvent } from '@flywheel/schemas';
import { describe, it } from 'vitest';
import { NotFoundError } from '../../errors/errors';
import { deciderSpec, SPEC_NOW } from '../testing/decider-spec';
import { decideAccount } from './account.decide';
import { accountEvolver } from './account.state';

const spec = deciderSpec({ decide: decideAccount, evolver: accountEvolver });

const at = (minutes: number) => new Date(SPEC_NOW.getTime() + minutes * 60_000);
const iso = (minutes: number) => at(minutes).toISOString();

const linkData = (authType: 'api_key' | 'oauth') => ({
  provider: 'anthropic' as const,
  label: 'team key',
  authType,
  fingerprint: 'sha256:ab12',
  baseUrl: null,
  maxConcurrent: 4,
});
const linked = (authType: 'api_key' | 'oauth' = 'oauth'): AccountEvent => ({
  type: 'AccountLinked',
  data: linkData(authType),
});
const verificationRequested: AccountEvent = { type: 'AccountVerificationRequested', data: {} };
const verified: AccountEvent = { type: 'AccountVerified', data: {} };
const errored = (reason = 'invalid x-api-key'): AccountEvent => ({
  type: 'AccountErrored',
  data: { code: 'invalid_credential', reason },
});
const rateLimited = (
  untilMinutes: number,
  source: 'retry-after' | 'default' = 'retry-after',
): AccountEvent => ({
  type: 'AccountRateLimited',
  data: { until: iso(untilMinutes), source, sessionId: 's1' },
});
const cooldownEnded: AccountEvent = { type: 'AccountCooldownEnded', data: {} };
const expired: AccountEvent = { type: 'AccountExpired', data: { cause: 'refresh token revoked' } };
const revoked: AccountEvent = { type: 'AccountRevoked', data: { reason: 'rotated' } };

const link = (authType: 'api_key' | 'oauth' = 'oauth'): AccountCommand => ({
  type: 'LinkAccount',
  data: linkData(authType),
});
const requestVerification: AccountCommand = { type: 'RequestAccountVerification', data: {} };
const recordVerified: AccountCommand = { type: 'RecordAccountVerified', data: {} };
const recordError = (reason = 'invalid x-api-key'): AccountCommand => ({
  type: 'RecordAccountError',
  data: { code: 'invalid_credential', reason },
});
const rateLimit = (
  untilMinutes: number,
  source: 'retry-after' | 'default' = 'retry-after',
): AccountCommand => ({
  type: 'RecordRateLimit',
  data: { until: iso(untilMinutes), source, sessionId: 's1' },
});
const endCooldown: AccountCommand = { type: 'EndCooldown', data: {} };
const expire: AccountCommand = { type: 'MarkAccountExpired', data: { cause: 'refresh token revoked' } };
const reauthenticate: AccountCommand = {
  type: 'ReauthenticateAccount',
  data: { fingerprint: 'sha256:cd34' },
};
const refreshTokens: AccountCommand = {
  type: 'RecordTokensRefreshed',
  data: { fingerprint: 'sha256:ef56', expiresAt: iso(60) },
};
const revoke: AccountCommand = { type: 'RevokeAccount', data: { reason: 'rotated' } };

const HISTORIES = {
  Verifying: [linked()],
  Active: [linked(), verified],
  Cooldown: [linked(), verified, rateLimited(10)],
  Expired: [linked(), verified, expired],
  Error: [linked(), errored()],
  Revoked: [linked(), revoked],
} as const;
type Status = keyof typeof HISTORIES;

/** The brief's transitions (no-ops included): the statuses in which each command is accepted. */
const ACCEPTED_IN: Record<AccountCommand['type'], readonly Status[]> = {
  LinkAccount: [],
  RequestAccountVerification: ['Verifying', 'Active', 'Cooldown', 'Error'],
  RecordAccountVerified: ['Verifying', 'Active', 'Cooldown'],
  RecordAccountError: ['Verifying', 'Active', 'Error'],
  RecordRateLimit: ['Active', 'Cooldown'],
  EndCooldown: ['Cooldown'],
  MarkAccountExpired: ['Active', 'Cooldown'],
  ReauthenticateAccount: ['Expired'],
  RecordTokensRefreshed: ['Active', 'Cooldown'],
  RevokeAccount: ['Verifying', 'Active', 'Cooldown', 'Expired', 'Error'],
};
const COMMANDS: readonly AccountCommand[] = [
  link(),
  requestVerification,
  recordVerified,
  recordError(),
  rateLimit(20),
  endCooldown,
  expire,
  reauthenticate,
  refreshTokens,
  revoke,
];

describe('account decider', () => {
  describe('LinkAccount', () => {
    it('links an account for verification, keeping only the fingerprint', () => {
      spec
        .given([])
        .when(link('api_key'))
        .thenEmits([linked('api_key')], {
          status: 'Verifying',
          authType: 'api_key',
          fingerprint: 'sha256:ab12',
          tokenExpiresAt: null,
        });
    });
  });

  describe('verification', () => {
    it('activates a verified account', () => {
      spec.given([linked()]).when(recordVerified).thenEmits([verified], { status: 'Active' });
    });

    it('records the provider reason when verification fails', () => {
      spec
        .given([linked()])
        .when(recordError('missing permission: messages.create'))
        .thenEmits([errored('missing permission: messages.create')], {
          status: 'Error',
          code: 'invalid_credential',
          reason: 'missing permission: messages.create',
        });
    });

    it('treats a duplicate verification result as a no-op, since replies can race', () => {
      spec.given(HISTORIES.Active).when(recordVerified).thenEmitsNothing();
      spec.given(HISTORIES.Cooldown).when(recordVerified).thenEmitsNothing();
    });

    it('treats the same error twice as a no-op but records a new reason', () => {
      spec.given(HISTORIES.Error).when(recordError()).thenEmitsNothing();
      spec
        .given(HISTORIES.Error)
        .when(recordError('key disabled'))
        .thenEmits([errored('key disabled')], { status: 'Error', reason: 'key disabled' });
    });

    for (const status of ['Active', 'Error', 'Cooldown'] as const) {
      it(`re-verifies a ${status} account`, () => {
        spec
          .given(HISTORIES[status])
          .when(requestVerification)
          .thenEmits([verificationRequested], { status: 'Verifying' });
      });
    }

    it('does not restart a verification already under way', () => {
      spec.given(HISTORIES.Verifying).when(requestVerification).thenEmitsNothing();
    });

    it('puts a running cooldown back after re-verification', () => {
      spec
        .given([...HISTORIES.Cooldown, verificationRequested])
        .when(recordVerified, { now: at(5) })
        .thenEmits(
          [
            verified,
            { type: 'AccountRateLimited', data: { until: iso(10), source: 'retry-after', sessionId: null } },
          ],
          {
            status: 'Cooldown',
            until: iso(10),
          },
        );
    });

    it('goes straight to Active when the cooldown ended during re-verification', () => {
      spec
        .given([...HISTORIES.Cooldown, verificationRequested])
        .when(recordVerified, { now: at(10) })
        .thenEmits([verified], { status: 'Active' });
    });

    it('moves an Active account to Error when its credential fails at run time', () => {
      spec.given(HISTORIES.Active).when(recordError()).thenEmits([errored()], { status: 'Error' });
    });
  });

  describe('cooldown', () => {
    it('cools an Active account until the provider reset time', () => {
      spec
        .given(HISTORIES.Active)
        .when(rateLimit(10))
        .thenEmits([rateLimited(10)], { status: 'Cooldown', until: iso(10), source: 'retry-after' });
    });

    it('extends a running cooldown with a later limit', () => {
      spec
        .given(HISTORIES.Cooldown)
        .when(rateLimit(30, 'default'))
        .thenEmits([rateLimited(30, 'default')], { status: 'Cooldown', until: iso(30), source: 'default' });
    });

    it('never shortens a running cooldown', () => {
      spec.given(HISTORIES.Cooldown).when(rateLimit(5)).thenEmitsNothing();
      spec.given(HISTORIES.Cooldown).when(rateLimit(10)).thenEmitsNothing();
    });

    it('compares reset times as instants, not as text', () => {
      // As text "12:10:00Z" sorts after "12:10:00.500Z"; as an instant it is earlier.
      const limit = (until: string) => ({ until, source: 'default' as const, sessionId: null });
      spec
        .given([linked(), verified, { type: 'AccountRateLimited', data: limit('2030-01-01T12:10:00.500Z') }])
        .when({ type: 'RecordRateLimit', data: limit('2030-01-01T12:10:00Z') })
        .thenEmitsNothing();
    });

    it('ends a cooldown once its time has come', () => {
      spec
        .given(HISTORIES.Cooldown)
        .when(endCooldown, { now: at(10) })
        .thenEmits([cooldownEnded], { status: 'Active' });
    });

    it('refuses to end a cooldown early', () => {
      spec
        .given(HISTORIES.Cooldown)
        .when(endCooldown, { now: at(9) })
        .thenRejects(new RegExp(`^account is Cooldown; the cooldown runs until ${iso(10)}$`));
    });

    it('keeps refreshing tokens while cooling', () => {
      spec
        .given(HISTORIES.Cooldown)
        .when(refreshTokens)
        .thenEmits(
          [{ type: 'AccountTokensRefreshed', data: { fingerprint: 'sha256:ef56', expiresAt: iso(60) } }],
          {
            status: 'Cooldown',
            until: iso(10),
            fingerprint: 'sha256:ef56',
            tokenExpiresAt: iso(60),
          },
        );
    });
  });

  describe('OAuth expiry', () => {
    it('expires an Active OAuth account with its cause', () => {
      spec
        .given(HISTORIES.Active)
        .when(expire)
        .thenEmits([expired], { status: 'Expired', cause: 'refresh token revoked' });
    });

    it('expires a cooling OAuth account whose refresh failed', () => {
      spec.given(HISTORIES.Cooldown).when(expire).thenEmits([expired], { status: 'Expired' });
    });

    it('refuses to expire an API-key account', () => {
      spec
        .given([linked('api_key'), verified])
        .when(expire)
        .thenRejects(/^account is Active; it uses an API key, and only OAuth logins expire$/);
    });

    it('refuses token refreshes for an API-key account', () => {
      spec
        .given([linked('api_key'), verified])
        .when(refreshTokens)
        .thenRejects(/no tokens to refresh/);
    });

    it('brings an Expired account back with its new login', () => {
      spec
        .given([...HISTORIES.Expired])
        .when(reauthenticate)
        .thenEmits([{ type: 'AccountReauthenticated', data: { fingerprint: 'sha256:cd34' } }], {
          status: 'Active',
          fingerprint: 'sha256:cd34',
        });
    });
  });

  describe('RevokeAccount', () => {
    for (const status of ['Verifying', 'Active', 'Cooldown', 'Expired', 'Error'] as const) {
      it(`revokes a ${status} account`, () => {
        spec
          .given(HISTORIES[status])
          .when(revoke)
          .thenEmits([revoked], { status: 'Revoked', reason: 'rotated' });
      });
    }
  });

  describe('every transition outside the brief is refused', () => {
    for (const command of COMMANDS) {
      for (const status of Object.keys(HISTORIES) as Status[]) {
        if (ACCEPTED_IN[command.type].includes(status)) continue;
        it(`${command.type} on a ${status} account`, () => {
          spec
            .given(HISTORIES[status])
            .when(command)
            .thenRejects(new RegExp(`^account is ${status}; `));
        });
      }
      if (command.type !== 'LinkAccount') {
        it(`${command.type} on an account that does not exist`, () => {
          spec
            .given([])
            .when(command)
            .thenThrows(NotFoundError, /^account does not exist$/);
        });
      }
    }
  });

  it('a cooldown that ended leaves an Active account that can cool again', () => {
    spec
      .given([...HISTORIES.Cooldown, cooldownEnded])
      .when(rateLimit(40))
      .thenEmits([rateLimited(40)], { status: 'Cooldown', until: iso(40) });
  });
});
