import { describe, expect, it } from 'vitest';
import { liveEvent } from '../live/test-events';
import { reduceAccount } from './account-reducer';

const linked = liveEvent('AccountLinked', 'acc1', 1, {
  provider: 'anthropic',
  label: 'team',
  authType: 'api_key',
  fingerprint: 'fp1',
  baseUrl: null,
  maxConcurrent: 4,
});
const fold = (...events: ReturnType<typeof liveEvent>[]) =>
  events.reduce<ReturnType<typeof reduceAccount>>((row, e) => reduceAccount(row, e), null);

describe('reduceAccount', () => {
  it('is Verifying when linked and Active once verified', () => {
    expect(fold(linked)).toMatchObject({ status: 'Verifying', label: 'team', cooldown: null });
    expect(fold(linked, liveEvent('AccountVerified', 'acc1', 2))).toMatchObject({ status: 'Active' });
  });

  it('shows a cooldown with its end and source, and drops it when the cooldown ends', () => {
    const cooling = fold(
      linked,
      liveEvent('AccountVerified', 'acc1', 2),
      liveEvent('AccountRateLimited', 'acc1', 3, { until: 'T', source: 'retry-after', sessionId: null }),
    );
    expect(cooling).toMatchObject({ status: 'Cooldown', cooldown: { until: 'T', source: 'retry-after' } });
    // Re-verifying does not end a running cooldown, so it stays on show.
    expect(reduceAccount(cooling, liveEvent('AccountVerificationRequested', 'acc1', 4))).toMatchObject({
      status: 'Verifying',
      cooldown: { until: 'T' },
    });
    expect(reduceAccount(cooling, liveEvent('AccountCooldownEnded', 'acc1', 4))).toMatchObject({
      status: 'Active',
      cooldown: null,
    });
  });

  it("carries the provider's reason in Error and clears it once the account works again", () => {
    const errored = fold(
      linked,
      liveEvent('AccountErrored', 'acc1', 2, { code: 'spend_limit', reason: 'cap hit' }),
    );
    expect(errored).toMatchObject({ status: 'Error', error: { code: 'spend_limit', reason: 'cap hit' } });
    const fixed = fold(
      linked,
      liveEvent('AccountErrored', 'acc1', 2, { code: 'spend_limit', reason: 'cap hit' }),
      liveEvent('AccountVerificationRequested', 'acc1', 3),
      liveEvent('AccountVerified', 'acc1', 4),
    );
    expect(fixed).toMatchObject({ status: 'Active', error: null });
  });

  it('is Expired with its cause, then Active on re-authentication, and Revoked for good', () => {
    const expired = fold(
      linked,
      liveEvent('AccountVerified', 'acc1', 2),
      liveEvent('AccountExpired', 'acc1', 3, { cause: 'refresh token revoked' }),
    );
    expect(expired).toMatchObject({ status: 'Expired', expiredCause: 'refresh token revoked' });
    expect(
      reduceAccount(expired, liveEvent('AccountReauthenticated', 'acc1', 4, { fingerprint: 'fp2' })),
    ).toMatchObject({ status: 'Active', fingerprint: 'fp2', expiredCause: null });
    expect(reduceAccount(expired, liveEvent('AccountRevoked', 'acc1', 4, { reason: 'left' }))).toMatchObject({
      status: 'Revoked',
      revokedReason: 'left',
    });
  });
});
