import { describe, expect, it } from 'vitest';
import { liveEvent } from '../live/test-events';
import { reduceSession } from './session-reducer';

const requested = liveEvent('SessionRequested', 's1', 1, {
  provider: 'anthropic',
  prompt: 'fix the build',
  model: null,
  requestedAccountId: null,
  metadata: {},
  maxAttempts: 3,
});

/** Folds events from nothing, as a page does for a session created while it is open. */
const fold = (...events: ReturnType<typeof liveEvent>[]) =>
  events.reduce<ReturnType<typeof reduceSession>>((row, e) => reduceSession(row, e), null);

describe('reduceSession', () => {
  it('makes a Queued row from the request and nothing from any other first event', () => {
    expect(fold(requested)).toMatchObject({
      id: 's1',
      status: 'Queued',
      attempts: 0,
      createdAt: requested.at,
    });
    expect(fold(liveEvent('SessionStarted', 's1', 2, { agentId: 'ag1', attempt: 1 }))).toBeNull();
  });

  it('keeps the time of each transition, as the read model does', () => {
    const at = (s: number) => `2026-01-01T00:00:0${s}.000Z`;
    const row = fold(
      { ...requested, at: at(1) },
      liveEvent('SessionAssigned', 's1', 2, { accountId: 'A', attempt: 1 }, at(2)),
      liveEvent('SessionStarted', 's1', 3, { agentId: 'ag1', attempt: 1 }, at(3)),
      liveEvent(
        'SessionCompleted',
        's1',
        4,
        { outputChunks: 1, inputTokens: null, outputTokens: null },
        at(4),
      ),
    );
    expect(row).toMatchObject({
      createdAt: at(1),
      queuedAt: at(1),
      assignedAt: at(2),
      startedAt: at(3),
      finishedAt: at(4),
      updatedAt: at(4),
    });
  });

  it('shows why a queued session waits and when an account comes back', () => {
    const row = fold(
      requested,
      liveEvent('SessionWaiting', 's1', 2, { reason: 'every account cooling', eta: 'T' }),
    );
    expect(row).toMatchObject({ status: 'Queued', queueReason: 'every account cooling', eta: 'T' });
  });

  it('follows a failover: the account that failed is recorded and the wait reason replaced', () => {
    const row = fold(
      requested,
      liveEvent('SessionWaiting', 's1', 2, { reason: 'no account', eta: null }),
      liveEvent('SessionAssigned', 's1', 3, { accountId: 'A', attempt: 1 }),
      liveEvent('SessionStarted', 's1', 4, { agentId: 'ag1', attempt: 1 }),
      liveEvent('SessionRequeued', 's1', 5, { reason: 'rate limited', failedAccountId: 'A', eta: null }),
      liveEvent('SessionAssigned', 's1', 6, { accountId: 'B', attempt: 2 }),
    );
    expect(row).toMatchObject({
      status: 'Starting',
      accountId: 'B',
      agentId: null,
      attempts: 2,
      failedAccountIds: ['A'],
      queueReason: null,
      streamSeq: 6,
    });
  });

  it('ends with the facts of its end: usage when completed, the reason when failed', () => {
    const running = [
      requested,
      liveEvent('SessionAssigned', 's1', 2, { accountId: 'A', attempt: 1 }),
      liveEvent('SessionStarted', 's1', 3, { agentId: 'ag1', attempt: 1 }),
    ];
    expect(
      fold(
        ...running,
        liveEvent('SessionCompleted', 's1', 4, { outputChunks: 3, inputTokens: 10, outputTokens: 7 }),
      ),
    ).toMatchObject({
      status: 'Completed',
      accountId: 'A',
      agentId: 'ag1',
      outputChunks: 3,
      outputTokens: 7,
    });
    expect(fold(...running, liveEvent('SessionFailed', 's1', 4, { reason: 'agent lost' }))).toMatchObject({
      status: 'Failed',
      reason: 'agent lost',
      accountId: null,
    });
    expect(fold(requested, liveEvent('SessionCancelled', 's1', 2, { reason: 'by alice' }))).toMatchObject({
      status: 'Cancelled',
      reason: 'by alice',
    });
  });
});
