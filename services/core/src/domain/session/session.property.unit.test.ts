import { PROVIDERS, SESSION_STATUSES, SessionCommand, type SessionEvent } from '@flywheel/schemas';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  emptyCoverage,
  runCommandSequence,
  type SequenceRules,
  stepsOf,
  timestampArb,
} from '../testing/command-sequence';
import { decideSession } from './session.decide';
import { type SessionState, sessionEvolver } from './session.state';

const accountId = fc.constantFrom('acc-1', 'acc-2', 'acc-3');
const agentId = fc.constantFrom('agent-1', 'agent-2');
const reason = fc.constantFrom('no active account', 'account rate limited', 'agent lost', 'user asked');

/** Plausible session commands; small id pools so agents and attempts match often enough to progress. */
const sessionCommand: fc.Arbitrary<SessionCommand> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('StartSession' as const),
      data: fc.record({
        provider: fc.constantFrom(...PROVIDERS),
        prompt: fc.string({ minLength: 1, maxLength: 40 }),
        model: fc.option(fc.constantFrom('claude-sonnet', 'gpt-5'), { nil: null }),
        requestedAccountId: fc.option(accountId, { nil: null, freq: 4 }),
        metadata: fc.dictionary(fc.constantFrom('ticket', 'team'), fc.string({ maxLength: 10 }), {
          maxKeys: 2,
        }),
        maxAttempts: fc.integer({ min: 1, max: 4 }),
      }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('RecordSessionWaiting' as const),
      data: fc.record({ reason, eta: fc.option(timestampArb(), { nil: null }) }),
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({ type: fc.constant('AssignSession' as const), data: fc.record({ accountId }) }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      type: fc.constant('MarkSessionStarted' as const),
      data: fc.record({ agentId, attempt: fc.constantFrom(1, 1, 1, 2, 3) }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('RequeueSession' as const),
      data: fc.record({
        reason,
        failedAccountId: fc.option(accountId, { nil: null }),
        eta: fc.option(timestampArb(), { nil: null }),
      }),
    }),
  },
  {
    weight: 12,
    arbitrary: fc.record({
      type: fc.constant('CompleteSession' as const),
      data: fc.record({
        agentId,
        outputChunks: fc.nat(500),
        inputTokens: fc.option(fc.nat(100_000), { nil: null }),
        outputTokens: fc.option(fc.nat(100_000), { nil: null }),
      }),
    }),
  },
  fc.record({ type: fc.constant('FailSession' as const), data: fc.record({ reason }) }),
  fc.record({ type: fc.constant('CancelSession' as const), data: fc.record({ reason }) }),
);

const LIVE = ['Queued', 'Starting', 'Running'] as const;

const rules: SequenceRules<SessionCommand, SessionState, SessionEvent> = {
  aggregate: 'session',
  statuses: SESSION_STATUSES,
  transitions: {
    StartSession: [['Initial', 'Queued']],
    RecordSessionWaiting: [['Queued', 'Queued']],
    AssignSession: [['Queued', 'Starting']],
    MarkSessionStarted: [['Starting', 'Running']],
    RequeueSession: [
      ['Starting', 'Queued'],
      ['Running', 'Queued'],
      ['Starting', 'Failed'],
      ['Running', 'Failed'],
    ],
    CompleteSession: [['Running', 'Completed']],
    FailSession: LIVE.map((s) => [s, 'Failed'] as const),
    CancelSession: LIVE.map((s) => [s, 'Cancelled'] as const),
  },
  parse: (command) => SessionCommand.parse(command),
  checkAccepted(prev, command, events, next) {
    if (prev.status === 'Initial' || next.status === 'Initial') return;
    expect(next.maxAttempts).toBe(prev.maxAttempts);
    switch (command.type) {
      case 'RecordSessionWaiting':
        expect(next).toMatchObject({ queueReason: command.data.reason, eta: command.data.eta });
        // Only a repeat of what the session already says is a no-op.
        expect(events.length === 0).toBe(
          prev.status === 'Queued' &&
            prev.queueReason === command.data.reason &&
            prev.eta === command.data.eta,
        );
        break;
      case 'AssignSession':
        expect(next).toMatchObject({ accountId: command.data.accountId, attempts: prev.attempts + 1 });
        expect([null, command.data.accountId]).toContain(prev.requestedAccountId);
        break;
      case 'MarkSessionStarted':
        expect(command.data.attempt).toBe(prev.attempts);
        expect(next).toMatchObject({ agentId: command.data.agentId });
        break;
      case 'RequeueSession':
        // Bounded failover: the session fails exactly when it has used every attempt.
        expect(next.status === 'Failed').toBe(prev.attempts >= prev.maxAttempts);
        if (next.status === 'Failed') expect(next.reason).toMatch(/^gave up after \d+ attempts?: /);
        break;
      case 'CompleteSession':
        expect(prev).toMatchObject({ agentId: command.data.agentId });
        break;
      default:
        break;
    }
  },
  invariant(state) {
    if (state.status === 'Initial') return;
    expect(state.attempts).toBeGreaterThanOrEqual(0);
    expect(state.attempts).toBeLessThanOrEqual(state.maxAttempts);
    if (state.status === 'Starting' || state.status === 'Running')
      expect(state.attempts).toBeGreaterThanOrEqual(1);
    if (state.status === 'Failed') expect(state.reason.length).toBeGreaterThan(0);
  },
};

it('random session command sequences stay within the brief and replay to the same state', () => {
  const coverage = emptyCoverage();
  fc.assert(
    fc.property(stepsOf(sessionCommand), (steps) => {
      runCommandSequence({ decide: decideSession, evolver: sessionEvolver }, rules, steps, coverage);
    }),
    { numRuns: 500 },
  );
  // The generators must actually reach every status and exercise every command, or the property proves little.
  expect([...coverage.statuses].sort()).toEqual([...SESSION_STATUSES].sort());
  expect([...coverage.changedBy].sort()).toEqual(Object.keys(rules.transitions).sort());
});
