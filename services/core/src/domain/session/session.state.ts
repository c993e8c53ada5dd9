import type { EventData, SessionEvent } from '@flywheel/schemas';
import type { Evolver } from '../../event-store/command-handler';
import { expectStatus, INITIAL, unknownEvent } from '../status-guards';

/** What the user asked for; fixed for the session's whole life. */
export type SessionRequest = Readonly<EventData<'SessionRequested'>>;

/** What every existing session carries, whatever its status. */
export interface SessionCommon extends SessionRequest {
  /** How many times the session was dispatched; while Starting or Running, the current attempt. */
  readonly attempts: number;
  /** Accounts whose failure sent the session back to the queue, oldest first. */
  readonly failedAccountIds: readonly string[];
}

export interface InitialSession {
  readonly status: typeof INITIAL;
}

/** Waiting for an Active account and a free agent. */
export interface QueuedSession extends SessionCommon {
  readonly status: 'Queued';
  /** Why it still waits (null until the dispatcher says); after a failover, why it came back. */
  readonly queueReason: string | null;
  /** When every account is cooling: when the earliest one comes back. */
  readonly eta: string | null;
}

/** Dispatched on an account; no agent has reported start yet. */
export interface StartingSession extends SessionCommon {
  readonly status: 'Starting';
  readonly accountId: string;
}

export interface RunningSession extends SessionCommon {
  readonly status: 'Running';
  readonly accountId: string;
  /** The agent that started it; only this agent may complete it. */
  readonly agentId: string;
}

export interface CompletedSession extends SessionCommon, Readonly<EventData<'SessionCompleted'>> {
  readonly status: 'Completed';
  readonly accountId: string;
  readonly agentId: string;
}

export interface FailedSession extends SessionCommon {
  readonly status: 'Failed';
  readonly reason: string;
}

export interface CancelledSession extends SessionCommon {
  readonly status: 'Cancelled';
  readonly reason: string;
}

export type SessionState =
  | InitialSession
  | QueuedSession
  | StartingSession
  | RunningSession
  | CompletedSession
  | FailedSession
  | CancelledSession;

export type ExistingSession = Exclude<SessionState, InitialSession>;

function initialState(): SessionState {
  return { status: INITIAL };
}

function common(state: ExistingSession): SessionCommon {
  return {
    provider: state.provider,
    prompt: state.prompt,
    model: state.model,
    requestedAccountId: state.requestedAccountId,
    metadata: state.metadata,
    maxAttempts: state.maxAttempts,
    attempts: state.attempts,
    failedAccountIds: state.failedAccountIds,
  };
}

function evolve(state: SessionState, event: SessionEvent): SessionState {
  switch (event.type) {
    case 'SessionRequested': {
      expectStatus('session', state, event, [INITIAL]);
      const { provider, prompt, model, requestedAccountId, metadata, maxAttempts } = event.data;
      return {
        status: 'Queued',
        provider,
        prompt,
        model,
        requestedAccountId,
        metadata,
        maxAttempts,
        attempts: 0,
        failedAccountIds: [],
        queueReason: null,
        eta: null,
      };
    }
    case 'SessionWaiting': {
      const s = expectStatus('session', state, event, ['Queued']);
      return { ...s, queueReason: event.data.reason, eta: event.data.eta };
    }
    case 'SessionAssigned': {
      const s = expectStatus('session', state, event, ['Queued']);
      return {
        ...common(s),
        status: 'Starting',
        attempts: event.data.attempt,
        accountId: event.data.accountId,
      };
    }
    case 'SessionStarted': {
      const s = expectStatus('session', state, event, ['Starting']);
      return { ...common(s), status: 'Running', accountId: s.accountId, agentId: event.data.agentId };
    }
    case 'SessionRequeued': {
      const s = expectStatus('session', state, event, ['Starting', 'Running']);
      const { reason, failedAccountId, eta } = event.data;
      return {
        ...common(s),
        status: 'Queued',
        failedAccountIds:
          failedAccountId === null ? s.failedAccountIds : [...s.failedAccountIds, failedAccountId],
        queueReason: reason,
        eta,
      };
    }
    case 'SessionCompleted': {
      const s = expectStatus('session', state, event, ['Running']);
      const { outputChunks, inputTokens, outputTokens } = event.data;
      return {
        ...common(s),
        status: 'Completed',
        accountId: s.accountId,
        agentId: s.agentId,
        outputChunks,
        inputTokens,
        outputTokens,
      };
    }
    case 'SessionFailed': {
      const s = expectStatus('session', state, event, ['Queued', 'Starting', 'Running']);
      return { ...common(s), status: 'Failed', reason: event.data.reason };
    }
    case 'SessionCancelled': {
      const s = expectStatus('session', state, event, ['Queued', 'Starting', 'Running']);
      return { ...common(s), status: 'Cancelled', reason: event.data.reason };
    }
    default:
      return unknownEvent('session', event);
  }
}

/** Folds a session's events into its state. */
export const sessionEvolver: Evolver<SessionState, SessionEvent> = { initialState, evolve };
