import type { DomainEvent } from '@flywheel/schemas';
import { describe, expect, it } from 'vitest';
import { type Change, type EventFact, reactTo } from './event-reactions';
import { DEFAULT_TIMINGS } from './timer-rules';

const NOW = new Date('2026-01-01T00:10:00.000Z');
const AT = '2026-01-01T00:00:00.000Z';

const fact = (aggregateId: string, event: DomainEvent, seq = 42, at = AT): EventFact => ({
  ...event,
  aggregateId,
  workspace: 'acme',
  at,
  seq,
});

const timers = (changes: Change[]) =>
  changes.flatMap((c) =>
    c.op === 'timer.set'
      ? [`set ${c.timer.kind} ${c.timer.dueAt}`]
      : c.op === 'timer.clear'
        ? [`clear ${c.kind}`]
        : [],
  );

describe('reactTo: sessions', () => {
  it('queues a requested session in stream order', () => {
    const changes = reactTo(
      fact('ses_1', {
        type: 'SessionRequested',
        data: {
          provider: 'anthropic',
          prompt: 'hi',
          model: null,
          requestedAccountId: 'acc_x',
          metadata: {},
          maxAttempts: 3,
        },
      }),
      NOW,
      DEFAULT_TIMINGS,
    );
    expect(changes).toEqual([
      {
        op: 'session.queue',
        seq: 42,
        sessionId: 'ses_1',
        workspace: 'acme',
        provider: 'anthropic',
        model: null,
        prompt: 'hi',
        requestedAccountId: 'acc_x',
      },
    ]);
  });

  it('an assignment starts the Starting timeout from when it was decided and marks the account used', () => {
    const changes = reactTo(
      fact('ses_1', { type: 'SessionAssigned', data: { accountId: 'acc_a', attempt: 2 } }),
      NOW,
      DEFAULT_TIMINGS,
    );
    expect(changes).toContainEqual({ op: 'account.used', accountId: 'acc_a', at: AT });
    expect(changes).toContainEqual({
      op: 'timer.set',
      timer: {
        kind: 'start_timeout',
        key: 'ses_1',
        workspace: 'acme',
        dueAt: '2026-01-01T00:01:00.000Z',
        payload: { attempt: 2 },
      },
    });
  });

  it('a start or a requeue clears the Starting timeout; a requeue says why the session waits again', () => {
    const started = reactTo(
      fact('ses_1', { type: 'SessionStarted', data: { agentId: 'agt_1', attempt: 1 } }),
      NOW,
      DEFAULT_TIMINGS,
    );
    expect(timers(started)).toEqual(['clear start_timeout']);
    const requeued = reactTo(
      fact('ses_1', {
        type: 'SessionRequeued',
        data: { reason: 'agent lost', failedAccountId: null, eta: null },
      }),
      NOW,
      DEFAULT_TIMINGS,
    );
    expect(requeued[0]).toMatchObject({
      patch: { status: 'Queued', agentId: null, waitingReason: 'agent lost' },
    });
    expect(timers(requeued)).toEqual(['clear start_timeout']);
  });

  it.each(['SessionCompleted', 'SessionFailed', 'SessionCancelled'] as const)(
    '%s forgets the session',
    (type) => {
      const data =
        type === 'SessionCompleted'
          ? { outputChunks: 1, inputTokens: null, outputTokens: null }
          : { reason: 'x' };
      const changes = reactTo(fact('ses_1', { type, data } as DomainEvent), NOW, DEFAULT_TIMINGS);
      expect(changes[0]).toEqual({ op: 'session.remove', sessionId: 'ses_1' });
    },
  );
});

describe('reactTo: accounts', () => {
  it('a linked account is Verifying and verified at once', () => {
    const changes = reactTo(
      fact('acc_a', {
        type: 'AccountLinked',
        data: {
          provider: 'anthropic',
          label: 'main',
          authType: 'api_key',
          fingerprint: 'fp',
          baseUrl: 'http://127.0.0.1:4010',
          maxConcurrent: 4,
        },
      }),
      NOW,
      DEFAULT_TIMINGS,
    );
    expect(changes[0]).toMatchObject({
      op: 'account.link',
      baseUrl: 'http://127.0.0.1:4010',
      maxConcurrent: 4,
    });
    expect(timers(changes)).toEqual([`set verify ${AT}`]);
  });

  it('a rate limit sets the cooldown end timer at the provider reset time', () => {
    const until = '2026-01-01T00:00:42.000Z';
    const changes = reactTo(
      fact('acc_a', {
        type: 'AccountRateLimited',
        data: { until, source: 'retry-after', sessionId: 'ses_1' },
      }),
      NOW,
      DEFAULT_TIMINGS,
    );
    expect(changes[0]).toEqual({
      op: 'account.patch',
      seq: 42,
      accountId: 'acc_a',
      patch: { status: 'Cooldown', cooldownUntil: until },
    });
    expect(timers(changes)).toEqual([`set cooldown_end ${until}`]);
  });

  it('the end of a cooldown, an error or a revocation clears the cooldown timer', () => {
    for (const event of [
      { type: 'AccountCooldownEnded', data: {} },
      { type: 'AccountErrored', data: { code: 'invalid_credential', reason: 'bad key' } },
      { type: 'AccountRevoked', data: { reason: null } },
    ] as DomainEvent[]) {
      expect(timers(reactTo(fact('acc_a', event), NOW, DEFAULT_TIMINGS))).toContain('clear cooldown_end');
    }
  });
});

describe('reactTo: agents', () => {
  it('an agent registered long ago (read while catching up) still gets a full silence window from now', () => {
    const changes = reactTo(
      fact('agt_1', {
        type: 'AgentRegistered',
        data: { name: 'a', providers: ['anthropic'], maxConcurrent: 8, version: '1' },
      }),
      NOW,
      DEFAULT_TIMINGS,
    );
    expect(changes[0]).toMatchObject({ op: 'agent.register', capacity: 8, heardAt: NOW.toISOString() });
    expect(timers(changes)).toEqual(['set agent_silent 2026-01-01T00:10:15.000Z']);
  });

  it('an agent gone offline has its sessions dealt with at once', () => {
    const changes = reactTo(
      fact('agt_1', { type: 'AgentWentOffline', data: { reason: 'no heartbeat for 15 s' } }),
      NOW,
      DEFAULT_TIMINGS,
    );
    expect(changes[0]).toEqual({ op: 'agent.status', agentId: 'agt_1', status: 'Offline' });
    expect(timers(changes)).toEqual(['clear agent_silent', `set agent_lost ${AT}`]);
  });
});
