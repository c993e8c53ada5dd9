import { type ExistingSession, INITIAL, NotFoundError, type SessionState } from '@flywheel/core';
import type { SessionView } from '@flywheel/schemas';

/** The state of a session that exists; a session without events is not found. */
export function existingSession(id: string, state: SessionState): ExistingSession {
  if (state.status === INITIAL) throw new NotFoundError(`session ${id} does not exist`);
  return state;
}

/** A session's state as the API shows it; fields that do not apply to its status are null. */
export function sessionView(id: string, state: SessionState, streamSeq: number): SessionView {
  const s = existingSession(id, state);
  return {
    id,
    status: s.status,
    provider: s.provider,
    prompt: s.prompt,
    model: s.model,
    requestedAccountId: s.requestedAccountId,
    metadata: { ...s.metadata },
    maxAttempts: s.maxAttempts,
    attempts: s.attempts,
    failedAccountIds: [...s.failedAccountIds],
    accountId: 'accountId' in s ? s.accountId : null,
    agentId: 'agentId' in s ? s.agentId : null,
    queueReason: s.status === 'Queued' ? s.queueReason : null,
    eta: s.status === 'Queued' ? s.eta : null,
    reason: s.status === 'Failed' || s.status === 'Cancelled' ? s.reason : null,
    outputChunks: s.status === 'Completed' ? s.outputChunks : null,
    inputTokens: s.status === 'Completed' ? s.inputTokens : null,
    outputTokens: s.status === 'Completed' ? s.outputTokens : null,
    streamSeq,
  };
}
