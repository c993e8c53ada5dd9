import type { SessionSummary } from '@flywheel/schemas';
import type { Selectable } from 'kysely';
import type { SessionsTable } from '../db/schema';
import { iso, isoOrNull } from './time';

/** A sessions row without its `item`: what the item is computed from. */
export type SessionItemSource = Omit<Selectable<SessionsTable>, 'item'>;

/** The time of each transition of a session row, as a list item and a detail show them. */
export function sessionTimes(r: SessionItemSource) {
  return {
    createdAt: iso(r.created_at),
    queuedAt: iso(r.queued_at),
    assignedAt: isoOrNull(r.assigned_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    updatedAt: iso(r.updated_at),
  };
}

/**
 * The session as a list item (a `SessionSummary`), as JSON text. The projector stores it
 * in the row's `item` column each time it writes the row, so a page of the list is 51
 * stored strings joined: no per-row JSON building or timestamp formatting on each read.
 */
export function sessionItemJson(r: SessionItemSource): string {
  const item: SessionSummary = {
    id: r.id,
    status: r.status as SessionSummary['status'],
    provider: r.provider as SessionSummary['provider'],
    model: r.model,
    promptPreview: r.prompt_preview,
    accountId: r.account_id,
    agentId: r.agent_id,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    queueReason: r.queue_reason,
    eta: isoOrNull(r.queue_eta),
    reason: r.reason,
    metadata: r.metadata,
    ...sessionTimes(r),
    streamSeq: Number(r.last_seq),
  };
  return JSON.stringify(item);
}
