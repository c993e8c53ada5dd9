import { PROMPT_PREVIEW_LENGTH, type SessionRow } from '../api/resources';
import type { LiveEvent } from '../live/live-event';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** Fields that apply to one status only; every transition clears them, as the read model does. */
const TRANSIENT = {
  accountId: null,
  agentId: null,
  queueReason: null,
  eta: null,
  reason: null,
} as const;

/**
 * Folds one session event into the row the dashboard shows, exactly as the read model
 * does; from null, only `SessionRequested` makes a row. Fields only a session's own page
 * has (failed accounts, usage) are kept up to date where the row carries them.
 */
export function reduceSession(row: SessionRow | null, event: LiveEvent): SessionRow | null {
  const d = event.data;
  const touched = { streamSeq: event.seq, updatedAt: event.at };
  if (event.type === 'SessionRequested') {
    if (row) return row;
    const prompt = str(d.prompt) ?? '';
    return {
      ...TRANSIENT,
      ...touched,
      id: event.aggregate.id,
      status: 'Queued',
      provider: d.provider as SessionRow['provider'],
      model: str(d.model),
      prompt,
      promptPreview: prompt.slice(0, PROMPT_PREVIEW_LENGTH),
      requestedAccountId: str(d.requestedAccountId),
      failedAccountIds: [],
      metadata: (d.metadata as Record<string, string> | undefined) ?? {},
      maxAttempts: int(d.maxAttempts) ?? 3,
      attempts: 0,
      createdAt: event.at,
      queuedAt: event.at,
      assignedAt: null,
      startedAt: null,
      finishedAt: null,
    };
  }
  if (!row) return null;
  switch (event.type) {
    case 'SessionWaiting':
      return { ...row, ...touched, queueReason: str(d.reason), eta: str(d.eta) };
    case 'SessionAssigned':
      return {
        ...row,
        ...TRANSIENT,
        ...touched,
        status: 'Starting',
        accountId: str(d.accountId),
        attempts: int(d.attempt) ?? row.attempts + 1,
        assignedAt: event.at,
      };
    case 'SessionStarted':
      return {
        ...row,
        ...TRANSIENT,
        ...touched,
        status: 'Running',
        accountId: row.accountId,
        agentId: str(d.agentId),
        startedAt: event.at,
      };
    case 'SessionRequeued': {
      const failed = str(d.failedAccountId);
      return {
        ...row,
        ...TRANSIENT,
        ...touched,
        status: 'Queued',
        queueReason: str(d.reason),
        eta: str(d.eta),
        queuedAt: event.at,
        ...(row.failedAccountIds && failed ? { failedAccountIds: [...row.failedAccountIds, failed] } : {}),
      };
    }
    case 'SessionCompleted':
      return {
        ...row,
        ...TRANSIENT,
        ...touched,
        status: 'Completed',
        accountId: row.accountId,
        agentId: row.agentId,
        outputChunks: int(d.outputChunks),
        inputTokens: int(d.inputTokens),
        outputTokens: int(d.outputTokens),
        finishedAt: event.at,
      };
    case 'SessionFailed':
    case 'SessionCancelled':
      return {
        ...row,
        ...TRANSIENT,
        ...touched,
        status: event.type === 'SessionFailed' ? 'Failed' : 'Cancelled',
        reason: str(d.reason),
        finishedAt: event.at,
      };
    default:
      // A newer event type than this build knows: keep the row; the next load shows it.
      return row;
  }
}

/** The status an event moves a session to, when it moves it. */
export function statusAfter(type: string): SessionRow['status'] | null {
  switch (type) {
    case 'SessionRequested':
    case 'SessionRequeued':
      return 'Queued';
    case 'SessionAssigned':
      return 'Starting';
    case 'SessionStarted':
      return 'Running';
    case 'SessionCompleted':
      return 'Completed';
    case 'SessionFailed':
      return 'Failed';
    case 'SessionCancelled':
      return 'Cancelled';
    default:
      return null;
  }
}
