import {
  ACCOUNT_ERROR_CODES,
  ACCOUNT_STATUSES,
  AccountCommand,
  type AccountEvent,
  COOLDOWN_SOURCES,
  PROVIDERS,
} from '@flywheel/schemas';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  emptyCoverage,
  runCommandSequence,
  type SequenceRules,
  stepsOf,
  timestampArb,
} from '../testing/command-sequence';
import { decideAccount } from './account.decide';
import { type AccountState, accountEvolver } from './account.state';

const fingerprint = fc.constantFrom('sha256:aa', 'sha256:bb', 'sha256:cc');

/** Plausible account commands; reset times fall within the hours the sequence clock covers. */
const accountCommand: fc.Arbitrary<AccountCommand> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('LinkAccount' as const),
      data: fc.record({
        provider: fc.constantFrom(...PROVIDERS),
        label: fc.constantFrom('team key', 'personal'),
        authType: fc.constantFrom('api_key' as const, 'oauth' as const, 'oauth' as const),
        fingerprint,
        baseUrl: fc.option(fc.constant('https://llm.example.com/v1'), { nil: null }),
        maxConcurrent: fc.integer({ min: 1, max: 8 }),
      }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant('RequestAccountVerification' as const), data: fc.constant({}) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({ type: fc.constant('RecordAccountVerified' as const), data: fc.constant({}) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('RecordAccountError' as const),
      data: fc.record({
        code: fc.constantFrom(...ACCOUNT_ERROR_CODES),
        reason: fc.constantFrom('invalid x-api-key', 'spend limit reached'),
      }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('RecordRateLimit' as const),
      data: fc.record({
        until: timestampArb(2),
        source: fc.constantFrom(...COOLDOWN_SOURCES),
        sessionId: fc.option(fc.constantFrom('s1', 's2'), { nil: null }),
      }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ type: fc.constant('EndCooldown' as const), data: fc.constant({}) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('MarkAccountExpired' as const),
      data: fc.record({ cause: fc.constantFrom('refresh token revoked', 'refresh token expired') }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('ReauthenticateAccount' as const),
      data: fc.record({ fingerprint }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('RecordTokensRefreshed' as const),
      data: fc.record({ fingerprint, expiresAt: timestampArb(12) }),
    }),
  },
  fc.record({
    type: fc.constant('RevokeAccount' as const),
    data: fc.record({ reason: fc.option(fc.constant('rotated'), { nil: null }) }),
  }),
);

const NOT_REVOKED = ['Verifying', 'Active', 'Cooldown', 'Expired', 'Error'] as const;

const rules: SequenceRules<AccountCommand, AccountState, AccountEvent> = {
  aggregate: 'account',
  statuses: ACCOUNT_STATUSES,
  transitions: {
    LinkAccount: [['Initial', 'Verifying']],
    RequestAccountVerification: [
      ['Verifying', 'Verifying'],
      ['Active', 'Verifying'],
      ['Cooldown', 'Verifying'],
      ['Error', 'Verifying'],
    ],
    RecordAccountVerified: [
      ['Verifying', 'Active'],
      ['Verifying', 'Cooldown'],
      ['Active', 'Active'],
      ['Cooldown', 'Cooldown'],
    ],
    RecordAccountError: [
      ['Verifying', 'Error'],
      ['Active', 'Error'],
      ['Error', 'Error'],
    ],
    RecordRateLimit: [
      ['Active', 'Cooldown'],
      ['Cooldown', 'Cooldown'],
    ],
    EndCooldown: [['Cooldown', 'Active']],
    MarkAccountExpired: [
      ['Active', 'Expired'],
      ['Cooldown', 'Expired'],
    ],
    ReauthenticateAccount: [['Expired', 'Active']],
    RecordTokensRefreshed: [
      ['Active', 'Active'],
      ['Cooldown', 'Cooldown'],
    ],
    RevokeAccount: NOT_REVOKED.map((s) => [s, 'Revoked'] as const),
  },
  parse: (command) => AccountCommand.parse(command),
  checkAccepted(prev, command, events, next, ctx) {
    if (prev.status === 'Initial' || next.status === 'Initial') return;
    // Who the account is never changes; only its credential fingerprint moves on.
    expect(next).toMatchObject({ provider: prev.provider, label: prev.label, authType: prev.authType });
    // A new limit never shortens a running cooldown.
    if (prev.status === 'Cooldown' && next.status === 'Cooldown') {
      expect(Date.parse(next.until)).toBeGreaterThanOrEqual(Date.parse(prev.until));
    }
    switch (command.type) {
      case 'RecordRateLimit': {
        const until = Date.parse(command.data.until);
        const running = prev.status === 'Cooldown' ? Date.parse(prev.until) : Number.NEGATIVE_INFINITY;
        expect(next.status === 'Cooldown' && Date.parse(next.until)).toBe(Math.max(until, running));
        break;
      }
      case 'EndCooldown':
        expect(prev.status === 'Cooldown' && ctx.now.getTime() >= Date.parse(prev.until)).toBe(true);
        break;
      case 'RecordAccountVerified':
        if (prev.status === 'Verifying') {
          const pending = prev.pendingCooldown;
          const stillCooling = pending !== null && Date.parse(pending.until) > ctx.now.getTime();
          expect(next).toMatchObject(
            stillCooling ? { status: 'Cooldown', until: pending.until } : { status: 'Active' },
          );
        } else {
          expect(events).toEqual([]);
        }
        break;
      case 'RecordAccountError':
        expect(next).toMatchObject({ code: command.data.code, reason: command.data.reason });
        break;
      case 'MarkAccountExpired':
      case 'ReauthenticateAccount':
        expect(prev.authType).toBe('oauth');
        break;
      case 'RecordTokensRefreshed':
        expect(prev.authType).toBe('oauth');
        expect(next).toMatchObject({
          fingerprint: command.data.fingerprint,
          tokenExpiresAt: command.data.expiresAt,
        });
        break;
      default:
        break;
    }
  },
  invariant(state) {
    if (state.status === 'Expired') expect(state.authType).toBe('oauth');
  },
};

it('random account command sequences stay within the brief and replay to the same state', () => {
  const coverage = emptyCoverage();
  fc.assert(
    fc.property(stepsOf(accountCommand), (steps) => {
      runCommandSequence({ decide: decideAccount, evolver: accountEvolver }, rules, steps, coverage);
    }),
    { numRuns: 500 },
  );
  // The generators must actually reach every status and exercise every command, or the property proves little.
  expect([...coverage.statuses].sort()).toEqual([...ACCOUNT_STATUSES].sort());
  expect([...coverage.changedBy].sort()).toEqual(Object.keys(rules.transitions).sort());
});
