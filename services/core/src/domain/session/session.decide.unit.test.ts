import type { SessionCommand, SessionEvent } from '@flywheel/schemas';
import { describe, it } from 'vitest';
import { NotFoundError } from '../../errors/errors';
import { deciderSpec } from '../testing/decider-spec';
import { decideSession } from './session.decide';
import { sessionEvolver } from './session.state';

const spec = deciderSpec({ decide: decideSession, evolver: sessionEvolver });

const requested = (maxAttempts = 3, requestedAccountId: string | null = null): SessionEvent => ({
  type: 'SessionRequested',
  data: {
    provider: 'anthropic',
    prompt: 'fix the flaky test',
    model: 'claude-sonnet',
    requestedAccountId,
    metadata: { ticket: 'FW-1' },
    maxAttempts,
  },
});
const assigned = (attempt: number, accountId = 'acc-1'): SessionEvent => ({
  type: 'SessionAssigned',
  data: { accountId, attempt },
});
const started = (attempt: number, agentId = 'agent-1'): SessionEvent => ({
  type: 'SessionStarted',
  data: { agentId, attempt },
});
const requeued = (failedAccountId: string | null = 'acc-1'): SessionEvent => ({
  type: 'SessionRequeued',
  data: { reason: 'account rate limited', failedAccountId, eta: null },
});
const completed: SessionEvent = {
  type: 'SessionCompleted',
  data: { outputChunks: 12, inputTokens: 100, outputTokens: 50 },
};
const failed: SessionEvent = { type: 'SessionFailed', data: { reason: 'agent lost' } };
const cancelled: SessionEvent = { type: 'SessionCancelled', data: { reason: 'user asked' } };

const start: SessionCommand = {
  type: 'StartSession',
  data: {
    provider: 'anthropic',
    prompt: 'fix the flaky test',
    model: 'claude-sonnet',
    requestedAccountId: null,
    metadata: { ticket: 'FW-1' },
    maxAttempts: 3,
  },
};
const waiting = (reason: string, eta: string | null): SessionCommand => ({
  type: 'RecordSessionWaiting',
  data: { reason, eta },
});
const assign = (accountId = 'acc-1'): SessionCommand => ({ type: 'AssignSession', data: { accountId } });
const markStarted = (attempt = 1, agentId = 'agent-1'): SessionCommand => ({
  type: 'MarkSessionStarted',
  data: { agentId, attempt },
});
const requeue: SessionCommand = {
  type: 'RequeueSession',
  data: { reason: 'account rate limited', failedAccountId: 'acc-1', eta: null },
};
const complete = (agentId = 'agent-1'): SessionCommand => ({
  type: 'CompleteSession',
  data: { agentId, outputChunks: 12, inputTokens: 100, outputTokens: 50 },
});
const fail: SessionCommand = { type: 'FailSession', data: { reason: 'agent lost' } };
const cancel: SessionCommand = { type: 'CancelSession', data: { reason: 'user asked' } };

const HISTORIES = {
  Queued: [requested()],
  Starting: [requested(), assigned(1)],
  Running: [requested(), assigned(1), started(1)],
  Completed: [requested(), assigned(1), started(1), completed],
  Failed: [requested(), failed],
  Cancelled: [requested(), cancelled],
} as const;
type Status = keyof typeof HISTORIES;

/** The brief's transitions: the statuses in which each command is accepted. */
const ACCEPTED_IN: Record<SessionCommand['type'], readonly Status[]> = {
  StartSession: [],
  RecordSessionWaiting: ['Queued'],
  AssignSession: ['Queued'],
  MarkSessionStarted: ['Starting'],
  RequeueSession: ['Starting', 'Running'],
  CompleteSession: ['Running'],
  FailSession: ['Queued', 'Starting', 'Running'],
  CancelSession: ['Queued', 'Starting', 'Running'],
};
const COMMANDS: readonly SessionCommand[] = [
  start,
  waiting('no active account', null),
  assign(),
  markStarted(),
  requeue,
  complete(),
  fail,
  cancel,
];

describe('session decider', () => {
  describe('StartSession', () => {
    it('queues a new session with what the user asked for', () => {
      spec
        .given([])
        .when(start)
        .thenEmits([requested()], {
          status: 'Queued',
          provider: 'anthropic',
          model: 'claude-sonnet',
          metadata: { ticket: 'FW-1' },
          attempts: 0,
          queueReason: null,
          eta: null,
        });
    });
  });

  describe('RecordSessionWaiting', () => {
    it('records why a queued session waits and when an account comes back', () => {
      spec
        .given([requested()])
        .when(waiting('every account is cooling', '2030-01-01T12:05:00.000Z'))
        .thenEmits(
          [
            {
              type: 'SessionWaiting',
              data: { reason: 'every account is cooling', eta: '2030-01-01T12:05:00.000Z' },
            },
          ],
          { status: 'Queued', queueReason: 'every account is cooling', eta: '2030-01-01T12:05:00.000Z' },
        );
    });

    it('records nothing when the reason and ETA are unchanged', () => {
      spec
        .given([requested(), { type: 'SessionWaiting', data: { reason: 'no active account', eta: null } }])
        .when(waiting('no active account', null))
        .thenEmitsNothing();
    });

    it('records a changed ETA', () => {
      spec
        .given([requested(), { type: 'SessionWaiting', data: { reason: 'no active account', eta: null } }])
        .when(waiting('no active account', '2030-01-01T13:00:00.000Z'))
        .thenState({ queueReason: 'no active account', eta: '2030-01-01T13:00:00.000Z' });
    });
  });

  describe('AssignSession', () => {
    it('dispatches a queued session on an account as attempt 1', () => {
      spec
        .given([requested()])
        .when(assign())
        .thenEmits([assigned(1)], { status: 'Starting', accountId: 'acc-1', attempts: 1 });
    });

    it('numbers the next attempt after a failover', () => {
      spec
        .given([requested(), assigned(1), requeued()])
        .when(assign('acc-2'))
        .thenEmits([assigned(2, 'acc-2')], { status: 'Starting', accountId: 'acc-2', attempts: 2 });
    });

    it('keeps a session on the account the user asked for', () => {
      spec
        .given([requested(3, 'acc-1')])
        .when(assign('acc-2'))
        .thenRejects(/asked for account acc-1 and may not run on acc-2/);
      spec
        .given([requested(3, 'acc-1')])
        .when(assign('acc-1'))
        .thenEmits([assigned(1)]);
    });
  });

  describe('MarkSessionStarted', () => {
    it('binds the agent that started the current attempt', () => {
      spec
        .given([requested(), assigned(1)])
        .when(markStarted(1, 'agent-7'))
        .thenEmits([started(1, 'agent-7')], { status: 'Running', accountId: 'acc-1', agentId: 'agent-7' });
    });

    it('refuses a stale work item from an earlier attempt', () => {
      spec
        .given([requested(), assigned(1), requeued(), assigned(2, 'acc-2')])
        .when(markStarted(1))
        .thenRejects(/on attempt 2, so a work item for attempt 1 is stale/);
    });

    it('refuses a second start of a running session', () => {
      spec
        .given(HISTORIES.Running)
        .when(markStarted(1, 'agent-2'))
        .thenRejects(/^session is Running; only a Starting session can be started$/);
    });
  });

  describe('RequeueSession', () => {
    it('sends a starting session back to the queue and remembers the failed account', () => {
      spec
        .given([requested(), assigned(1)])
        .when(requeue)
        .thenEmits([requeued()], {
          status: 'Queued',
          attempts: 1,
          failedAccountIds: ['acc-1'],
          queueReason: 'account rate limited',
        });
    });

    it('sends a running session back to the queue', () => {
      spec.given(HISTORIES.Running).when(requeue).thenEmits([requeued()], { status: 'Queued' });
    });

    it('fails the session instead once every attempt is used', () => {
      spec
        .given([requested(2), assigned(1), requeued(), assigned(2, 'acc-2'), started(2)])
        .when(requeue)
        .thenEmits(
          [{ type: 'SessionFailed', data: { reason: 'gave up after 2 attempts: account rate limited' } }],
          {
            status: 'Failed',
            reason: 'gave up after 2 attempts: account rate limited',
            failedAccountIds: ['acc-1'],
          },
        );
    });

    it('says "1 attempt" when a session allows only one', () => {
      spec
        .given([requested(1), assigned(1)])
        .when(requeue)
        .thenEmits([
          { type: 'SessionFailed', data: { reason: 'gave up after 1 attempt: account rate limited' } },
        ]);
    });
  });

  describe('CompleteSession', () => {
    it('completes a running session reported by its agent', () => {
      spec
        .given(HISTORIES.Running)
        .when(complete())
        .thenEmits([completed], { status: 'Completed', agentId: 'agent-1', outputChunks: 12 });
    });

    it('refuses a completion from another agent', () => {
      spec
        .given(HISTORIES.Running)
        .when(complete('agent-2'))
        .thenRejects(/runs on agent agent-1, so agent agent-2 may not complete it/);
    });

    it('refuses to complete a session no agent has started', () => {
      spec
        .given(HISTORIES.Starting)
        .when(complete())
        .thenRejects(/^session is Starting; only a Running session can be completed$/);
    });
  });

  describe('FailSession and CancelSession', () => {
    for (const status of ['Queued', 'Starting', 'Running'] as const) {
      it(`fails a ${status} session with its reason`, () => {
        spec
          .given(HISTORIES[status])
          .when(fail)
          .thenEmits([failed], { status: 'Failed', reason: 'agent lost' });
      });
      it(`cancels a ${status} session`, () => {
        spec
          .given(HISTORIES[status])
          .when(cancel)
          .thenEmits([cancelled], { status: 'Cancelled', reason: 'user asked' });
      });
    }

    it('explains why a finished session cannot be cancelled', () => {
      spec
        .given(HISTORIES.Completed)
        .when(cancel)
        .thenRejects(/^session is Completed; only a Queued, Starting or Running session can be cancelled$/);
    });
  });

  describe('every transition outside the brief is refused', () => {
    for (const command of COMMANDS) {
      for (const status of Object.keys(HISTORIES) as Status[]) {
        if (ACCEPTED_IN[command.type].includes(status)) continue;
        it(`${command.type} on a ${status} session`, () => {
          spec
            .given(HISTORIES[status])
            .when(command)
            .thenRejects(new RegExp(`^session is ${status}; `));
        });
      }
      if (command.type !== 'StartSession') {
        it(`${command.type} on a session that does not exist`, () => {
          spec
            .given([])
            .when(command)
            .thenThrows(NotFoundError, /^session does not exist$/);
        });
      }
    }
  });
});
