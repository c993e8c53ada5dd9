import type { LiveEvent } from '../live/live-event';

/** One line of a session's timeline. */
export interface TimelineLine {
  readonly title: string;
  readonly detail: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): string | null => (typeof v === 'number' ? v.toLocaleString('en-US') : null);

/** Says what an event of a session's history means, in the words of the dashboard. */
export function describeSessionEvent(event: LiveEvent): TimelineLine {
  const d = event.data;
  switch (event.type) {
    case 'SessionRequested': {
      const model = str(d.model);
      const account = str(d.requestedAccountId);
      return {
        title: `Requested on ${str(d.provider) ?? 'a provider'}${model ? ` (${model})` : ''}`,
        detail: account ? `only on account ${account}` : null,
      };
    }
    case 'SessionWaiting':
      return { title: 'Waiting', detail: str(d.reason) };
    case 'SessionAssigned':
      return {
        title: `Assigned to account ${str(d.accountId) ?? '?'}`,
        detail: `attempt ${num(d.attempt) ?? '?'}`,
      };
    case 'SessionStarted':
      return {
        title: `Started by agent ${str(d.agentId) ?? '?'}`,
        detail: `attempt ${num(d.attempt) ?? '?'}`,
      };
    case 'SessionRequeued': {
      const failed = str(d.failedAccountId);
      return {
        title: 'Back in the queue',
        detail:
          [str(d.reason), failed ? `account ${failed} failed it` : null].filter(Boolean).join(' — ') || null,
      };
    }
    case 'SessionCompleted': {
      const tokens =
        num(d.inputTokens) !== null || num(d.outputTokens) !== null
          ? `, ${num(d.inputTokens) ?? '?'} tokens in / ${num(d.outputTokens) ?? '?'} out`
          : '';
      return { title: 'Completed', detail: `${num(d.outputChunks) ?? '0'} output chunks${tokens}` };
    }
    case 'SessionFailed':
      return { title: 'Failed', detail: str(d.reason) };
    case 'SessionCancelled':
      return { title: 'Cancelled', detail: str(d.reason) };
    default:
      return { title: event.type, detail: null };
  }
}
