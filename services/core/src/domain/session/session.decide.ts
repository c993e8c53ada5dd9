import type { SessionCommand, SessionEvent } from '@flywheel/schemas';
import type { DecideContext } from '../decide-context';
import { INITIAL, rejectCommand, requireStatus, unknownCommand } from '../status-guards';
import type { SessionState } from './session.state';

type Command<T extends SessionCommand['type']> = Extract<SessionCommand, { readonly type: T }>;

/** The statuses a session can still change from; the others are terminal. */
const LIVE = ['Queued', 'Starting', 'Running'] as const;

/** Queues a new session (only for a session id that has no events yet). */
export function startSession(command: Command<'StartSession'>, state: SessionState): SessionEvent[] {
  if (state.status !== INITIAL) {
    throw rejectCommand('session', state.status, command.type, 'it was already started');
  }
  const { provider, prompt, model, requestedAccountId, metadata, maxAttempts } = command.data;
  return [
    {
      type: 'SessionRequested',
      data: { provider, prompt, model, requestedAccountId, metadata, maxAttempts },
    },
  ];
}

/** Records why a queued session still waits; repeating the same reason and ETA records nothing. */
export function recordSessionWaiting(
  command: Command<'RecordSessionWaiting'>,
  state: SessionState,
): SessionEvent[] {
  const s = requireStatus('session', state, command.type, ['Queued'], 'wait for an account');
  const { reason, eta } = command.data;
  // The dispatcher re-evaluates the queue often; an unchanged reason is not news.
  if (s.queueReason === reason && s.eta === eta) return [];
  return [{ type: 'SessionWaiting', data: { reason, eta } }];
}

/** Dispatches a queued session on an account, starting its next attempt. */
export function assignSession(command: Command<'AssignSession'>, state: SessionState): SessionEvent[] {
  const s = requireStatus('session', state, command.type, ['Queued'], 'be assigned');
  const { accountId } = command.data;
  if (s.requestedAccountId !== null && s.requestedAccountId !== accountId) {
    throw rejectCommand(
      'session',
      s.status,
      command.type,
      `it asked for account ${s.requestedAccountId} and may not run on ${accountId}`,
    );
  }
  return [{ type: 'SessionAssigned', data: { accountId, attempt: s.attempts + 1 } }];
}

/** Binds the agent that pulled the current attempt's work item and marks the session running. */
export function markSessionStarted(
  command: Command<'MarkSessionStarted'>,
  state: SessionState,
): SessionEvent[] {
  const s = requireStatus('session', state, command.type, ['Starting'], 'be started');
  const { agentId, attempt } = command.data;
  // A work item from an earlier attempt may still be on the queue; it must not start the session.
  if (attempt !== s.attempts) {
    throw rejectCommand(
      'session',
      s.status,
      command.type,
      `it is on attempt ${s.attempts}, so a work item for attempt ${attempt} is stale`,
    );
  }
  return [{ type: 'SessionStarted', data: { agentId, attempt } }];
}

/**
 * Sends a dispatched session back to the queue for another account (failover); once the
 * session has used all its attempts the same command fails it instead.
 */
export function requeueSession(command: Command<'RequeueSession'>, state: SessionState): SessionEvent[] {
  const s = requireStatus('session', state, command.type, ['Starting', 'Running'], 'be requeued');
  const { reason, failedAccountId, eta } = command.data;
  if (s.attempts >= s.maxAttempts) {
    const attempts = s.attempts === 1 ? '1 attempt' : `${s.attempts} attempts`;
    return [{ type: 'SessionFailed', data: { reason: `gave up after ${attempts}: ${reason}` } }];
  }
  return [{ type: 'SessionRequeued', data: { reason, failedAccountId, eta } }];
}

/** Completes a running session; only the agent running it may. */
export function completeSession(command: Command<'CompleteSession'>, state: SessionState): SessionEvent[] {
  const s = requireStatus('session', state, command.type, ['Running'], 'be completed');
  const { agentId, outputChunks, inputTokens, outputTokens } = command.data;
  if (agentId !== s.agentId) {
    throw rejectCommand(
      'session',
      s.status,
      command.type,
      `it runs on agent ${s.agentId}, so agent ${agentId} may not complete it`,
      { agentId: s.agentId },
    );
  }
  return [{ type: 'SessionCompleted', data: { outputChunks, inputTokens, outputTokens } }];
}

/** Fails a session that has not finished, with the reason users will read. */
export function failSession(command: Command<'FailSession'>, state: SessionState): SessionEvent[] {
  requireStatus('session', state, command.type, LIVE, 'fail');
  return [{ type: 'SessionFailed', data: { reason: command.data.reason } }];
}

/** Cancels a session that has not finished. */
export function cancelSession(command: Command<'CancelSession'>, state: SessionState): SessionEvent[] {
  requireStatus('session', state, command.type, LIVE, 'be cancelled');
  return [{ type: 'SessionCancelled', data: { reason: command.data.reason } }];
}

/**
 * Decides what a session command means for the session in `state`: the events to append
 * (empty for a no-op), or a thrown `InvalidTransitionError` / `NotFoundError`.
 */
export function decideSession(
  command: SessionCommand,
  state: SessionState,
  // Sessions decide nothing by the clock; the context keeps every decider's signature the same.
  _ctx: DecideContext,
): SessionEvent[] {
  switch (command.type) {
    case 'StartSession':
      return startSession(command, state);
    case 'RecordSessionWaiting':
      return recordSessionWaiting(command, state);
    case 'AssignSession':
      return assignSession(command, state);
    case 'MarkSessionStarted':
      return markSessionStarted(command, state);
    case 'RequeueSession':
      return requeueSession(command, state);
    case 'CompleteSession':
      return completeSession(command, state);
    case 'FailSession':
      return failSession(command, state);
    case 'CancelSession':
      return cancelSession(command, state);
    default:
      return unknownCommand('session', command);
  }
}
