import { describe, expect, it } from 'vitest';
import { type AccountView, type PoolView, planDispatch, type QueuedSessionView } from './dispatch-plan';

const account = (accountId: string, over: Partial<AccountView> = {}): AccountView => ({
  accountId,
  provider: 'anthropic',
  status: 'Active',
  cooldownUntil: null,
  errorReason: null,
  maxConcurrent: 5,
  running: 0,
  lastUsedAt: null,
  ...over,
});

const session = (sessionId: string, over: Partial<QueuedSessionView> = {}): QueuedSessionView => ({
  sessionId,
  requestedAccountId: null,
  failedAccountId: null,
  waitingReason: null,
  waitingEta: null,
  ...over,
});

const pool = (over: Partial<PoolView>): PoolView => ({
  provider: 'anthropic',
  accounts: [],
  agentsOnline: 1,
  agentSlots: 100,
  sessions: [],
  ...over,
});

const sessions = (n: number) => Array.from({ length: n }, (_, i) => session(`ses_${i + 1}`));

describe('planDispatch: choosing an account', () => {
  it('rotates queued sessions over the accounts, least recently used first', () => {
    const plan = planDispatch(
      pool({
        accounts: [
          account('acc_a', { lastUsedAt: '2026-01-01T00:00:03Z' }),
          account('acc_b', { lastUsedAt: '2026-01-01T00:00:01Z' }),
          account('acc_c'),
        ],
        sessions: sessions(4),
      }),
    );
    expect(plan).toEqual([
      { kind: 'assign', sessionId: 'ses_1', accountId: 'acc_c' },
      { kind: 'assign', sessionId: 'ses_2', accountId: 'acc_b' },
      { kind: 'assign', sessionId: 'ses_3', accountId: 'acc_a' },
      { kind: 'assign', sessionId: 'ses_4', accountId: 'acc_c' },
    ]);
  });

  it('prefers the least loaded account over the least recently used one', () => {
    const plan = planDispatch(
      pool({
        accounts: [
          account('acc_a', { running: 2 }),
          account('acc_b', { running: 0, lastUsedAt: '2026-01-01T00:00:00Z' }),
        ],
        sessions: sessions(1),
      }),
    );
    expect(plan).toEqual([{ kind: 'assign', sessionId: 'ses_1', accountId: 'acc_b' }]);
  });

  it('never fills an account beyond maxConcurrent; the rest wait with the reason', () => {
    const plan = planDispatch(
      pool({
        accounts: [
          account('acc_a', { maxConcurrent: 1, running: 1 }),
          account('acc_b', { maxConcurrent: 2 }),
        ],
        sessions: sessions(3),
      }),
    );
    expect(plan).toEqual([
      { kind: 'assign', sessionId: 'ses_1', accountId: 'acc_b' },
      { kind: 'assign', sessionId: 'ses_2', accountId: 'acc_b' },
      {
        kind: 'wait',
        sessionId: 'ses_3',
        reason: 'every anthropic account is at its concurrency limit',
        eta: null,
      },
    ]);
  });

  it('uses only Active accounts of the pool provider', () => {
    const plan = planDispatch(
      pool({
        accounts: [
          account('acc_openai', { provider: 'openai' }),
          account('acc_verifying', { status: 'Verifying' }),
          account('acc_error', { status: 'Error', errorReason: 'invalid x-api-key' }),
          account('acc_ok'),
        ],
        sessions: sessions(2),
      }),
    );
    expect(plan.map((d) => d.kind === 'assign' && d.accountId)).toEqual(['acc_ok', 'acc_ok']);
  });

  it('avoids the account that just failed the session while another can take it', () => {
    const plan = planDispatch(
      pool({
        accounts: [account('acc_a'), account('acc_b', { running: 3 })],
        sessions: [session('ses_1', { failedAccountId: 'acc_a' })],
      }),
    );
    expect(plan).toEqual([{ kind: 'assign', sessionId: 'ses_1', accountId: 'acc_b' }]);
  });

  it('goes back to the account that failed the session when it is the only one', () => {
    const plan = planDispatch(
      pool({ accounts: [account('acc_a')], sessions: [session('ses_1', { failedAccountId: 'acc_a' })] }),
    );
    expect(plan).toEqual([{ kind: 'assign', sessionId: 'ses_1', accountId: 'acc_a' }]);
  });
});

describe('planDispatch: waiting', () => {
  it('when every account cools, waits with the earliest cooldown end as ETA', () => {
    const plan = planDispatch(
      pool({
        accounts: [
          account('acc_a', { status: 'Cooldown', cooldownUntil: '2026-01-01T00:01:00.000Z' }),
          account('acc_b', { status: 'Cooldown', cooldownUntil: '2026-01-01T00:00:30.000Z' }),
          account('acc_c', { status: 'Error', errorReason: 'invalid x-api-key' }),
        ],
        sessions: sessions(2),
      }),
    );
    const wait = {
      kind: 'wait',
      reason: 'every anthropic account is cooling down',
      eta: '2026-01-01T00:00:30.000Z',
    };
    expect(plan).toEqual([
      { ...wait, sessionId: 'ses_1' },
      { ...wait, sessionId: 'ses_2' },
    ]);
  });

  it('does not repeat a wait the session already records, but does record a new ETA', () => {
    const accounts = [account('acc_a', { status: 'Cooldown', cooldownUntil: '2026-01-01T00:01:00.000Z' })];
    const reason = 'every anthropic account is cooling down';
    const plan = planDispatch(
      pool({
        accounts,
        sessions: [
          session('ses_same', { waitingReason: reason, waitingEta: '2026-01-01T00:01:00Z' }),
          session('ses_older_eta', { waitingReason: reason, waitingEta: '2026-01-01T00:00:10.000Z' }),
        ],
      }),
    );
    expect(plan).toEqual([
      { kind: 'wait', sessionId: 'ses_older_eta', reason, eta: '2026-01-01T00:01:00.000Z' },
    ]);
  });

  it.each([
    [[], 'no anthropic account is linked'],
    [[account('acc_a', { status: 'Verifying' })], 'waiting for anthropic accounts to be verified'],
    [
      [
        account('acc_a', { status: 'Error' }),
        account('acc_b', { status: 'Revoked' }),
        account('acc_c', { status: 'Error' }),
      ],
      'no anthropic account can take work (2 Error, 1 Revoked); fix or re-verify one',
    ],
  ])('says why no account can take work (%#)', (accounts, reason) => {
    expect(planDispatch(pool({ accounts, sessions: sessions(1) }))).toEqual([
      { kind: 'wait', sessionId: 'ses_1', reason, eta: null },
    ]);
  });

  it('waits when no agent serving the provider is online', () => {
    const plan = planDispatch(
      pool({ accounts: [account('acc_a')], agentsOnline: 0, agentSlots: 0, sessions: sessions(1) }),
    );
    expect(plan).toEqual([
      { kind: 'wait', sessionId: 'ses_1', reason: 'no agent online for anthropic', eta: null },
    ]);
  });

  it('dispatches only as many sessions as agents have free slots', () => {
    const plan = planDispatch(
      pool({ accounts: [account('acc_a')], agentsOnline: 2, agentSlots: 2, sessions: sessions(3) }),
    );
    expect(plan).toEqual([
      { kind: 'assign', sessionId: 'ses_1', accountId: 'acc_a' },
      { kind: 'assign', sessionId: 'ses_2', accountId: 'acc_a' },
      { kind: 'wait', sessionId: 'ses_3', reason: 'every anthropic agent is busy', eta: null },
    ]);
  });
});

describe('planDispatch: an explicitly requested account', () => {
  const requested = (status: AccountView['status'], over: Partial<AccountView> = {}) =>
    planDispatch(
      pool({
        accounts: [account('acc_x', { status, ...over }), account('acc_other')],
        sessions: [session('ses_1', { requestedAccountId: 'acc_x' })],
      }),
    );

  it('is honoured even when another account is less used', () => {
    expect(requested('Active', { running: 4 })).toEqual([
      { kind: 'assign', sessionId: 'ses_1', accountId: 'acc_x' },
    ]);
  });

  it('fails the session when the account is Revoked or in Error', () => {
    expect(requested('Revoked')).toEqual([
      { kind: 'fail', sessionId: 'ses_1', reason: 'account acc_x is Revoked' },
    ]);
    expect(requested('Error', { errorReason: 'invalid x-api-key' })).toEqual([
      { kind: 'fail', sessionId: 'ses_1', reason: 'account acc_x is Error: invalid x-api-key' },
    ]);
  });

  it('waits with the ETA while the account cools, and with the reason while it is busy or verifying', () => {
    expect(requested('Cooldown', { cooldownUntil: '2026-01-01T00:00:30.000Z' })).toEqual([
      {
        kind: 'wait',
        sessionId: 'ses_1',
        reason: 'account acc_x is cooling down',
        eta: '2026-01-01T00:00:30.000Z',
      },
    ]);
    expect(requested('Active', { maxConcurrent: 1, running: 1 })).toEqual([
      {
        kind: 'wait',
        sessionId: 'ses_1',
        reason: 'account acc_x is at its limit of 1 concurrent session',
        eta: null,
      },
    ]);
    expect(requested('Verifying')).toEqual([
      { kind: 'wait', sessionId: 'ses_1', reason: 'account acc_x is being verified', eta: null },
    ]);
  });

  it('fails the session when the account does not exist or serves another provider', () => {
    const plan = planDispatch(
      pool({
        accounts: [account('acc_gpt', { provider: 'openai' })],
        sessions: [
          session('ses_1', { requestedAccountId: 'acc_nope' }),
          session('ses_2', { requestedAccountId: 'acc_gpt' }),
        ],
      }),
    );
    expect(plan).toEqual([
      { kind: 'fail', sessionId: 'ses_1', reason: 'account acc_nope does not exist in this workspace' },
      { kind: 'fail', sessionId: 'ses_2', reason: 'account acc_gpt serves openai, not anthropic' },
    ]);
  });
});
