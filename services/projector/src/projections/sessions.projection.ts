import {
  type Database,
  ProjectionError,
  type SessionItemSource,
  type StoredEvent,
  sessionItemJson,
} from '@flywheel/core';
import type { DomainEvent, SessionStatus } from '@flywheel/schemas';
import type { Selectable } from 'kysely';
import type { CommitMessage, Projection, Row, RowKey } from './projection';

export type SessionRow = Selectable<Database['sessions']>;
/** A session row while events are folded into it; its `item` is derived when it is written. */
type FoldedSession = SessionItemSource & { item?: string };

const TABLE = 'sessions';
/** Characters of the prompt kept for lists; the full prompt is in the same row for details. */
export const PROMPT_PREVIEW_LENGTH = 200;

function existing(row: FoldedSession | undefined, e: StoredEvent): FoldedSession {
  if (row === undefined) {
    throw new ProjectionError(`${e.type} for session ${e.aggregate.id}, which was never requested`);
  }
  return row;
}

/**
 * A copy of `row` for a new status: the columns that only apply to some statuses cleared,
 * as the aggregate does. Cloned then assigned (not spread field by field): replay runs
 * this for every session event, and it is the projection's hot path.
 */
function transition(row: FoldedSession, stored: StoredEvent, at: Date, status: SessionStatus): FoldedSession {
  const next = { ...row };
  next.status = status;
  next.account_id = null;
  next.agent_id = null;
  next.queue_reason = null;
  next.queue_eta = null;
  next.reason = null;
  next.output_chunks = null;
  next.input_tokens = null;
  next.output_tokens = null;
  next.updated_at = at;
  next.last_seq = stored.seq;
  return next;
}

const eta = (value: string | null) => (value === null ? null : new Date(value));

/** Folds one event into a session row; pure. The row's `item` is left as it was (see `derived`). */
export function applySessionEvent(row: FoldedSession | undefined, stored: StoredEvent): FoldedSession {
  const at = new Date(stored.at);
  const event = { type: stored.type, data: stored.data } as DomainEvent;
  switch (event.type) {
    case 'SessionRequested': {
      if (row !== undefined) {
        throw new ProjectionError(`session ${stored.aggregate.id} was requested twice`);
      }
      const d = event.data;
      return {
        workspace: stored.workspace,
        id: stored.aggregate.id,
        status: 'Queued',
        provider: d.provider,
        model: d.model,
        prompt: d.prompt,
        prompt_preview: d.prompt.slice(0, PROMPT_PREVIEW_LENGTH),
        requested_account_id: d.requestedAccountId,
        account_id: null,
        agent_id: null,
        attempts: 0,
        max_attempts: d.maxAttempts,
        failed_account_ids: [],
        queue_reason: null,
        queue_eta: null,
        reason: null,
        metadata: d.metadata,
        output_chunks: null,
        input_tokens: null,
        output_tokens: null,
        created_at: at,
        queued_at: at,
        assigned_at: null,
        started_at: null,
        finished_at: null,
        updated_at: at,
        created_seq: stored.seq,
        last_seq: stored.seq,
      };
    }
    case 'SessionWaiting': {
      // Still Queued: only the reason and ETA change.
      const next = { ...existing(row, stored) };
      next.queue_reason = event.data.reason;
      next.queue_eta = eta(event.data.eta);
      next.updated_at = at;
      next.last_seq = stored.seq;
      return next;
    }
    case 'SessionAssigned': {
      const next = transition(existing(row, stored), stored, at, 'Starting');
      next.account_id = event.data.accountId;
      next.attempts = event.data.attempt;
      next.assigned_at = at;
      return next;
    }
    case 'SessionStarted': {
      const s = existing(row, stored);
      const next = transition(s, stored, at, 'Running');
      next.account_id = s.account_id;
      next.agent_id = event.data.agentId;
      next.started_at = at;
      return next;
    }
    case 'SessionRequeued': {
      const s = existing(row, stored);
      const { reason, failedAccountId } = event.data;
      const next = transition(s, stored, at, 'Queued');
      if (failedAccountId !== null) next.failed_account_ids = [...s.failed_account_ids, failedAccountId];
      next.queue_reason = reason;
      next.queue_eta = eta(event.data.eta);
      next.queued_at = at;
      return next;
    }
    case 'SessionCompleted': {
      const s = existing(row, stored);
      const next = transition(s, stored, at, 'Completed');
      next.account_id = s.account_id;
      next.agent_id = s.agent_id;
      next.output_chunks = event.data.outputChunks;
      next.input_tokens = event.data.inputTokens;
      next.output_tokens = event.data.outputTokens;
      next.finished_at = at;
      return next;
    }
    case 'SessionFailed':
    case 'SessionCancelled': {
      const next = transition(
        existing(row, stored),
        stored,
        at,
        event.type === 'SessionFailed' ? 'Failed' : 'Cancelled',
      );
      next.reason = event.data.reason;
      next.finished_at = at;
      return next;
    }
    default:
      throw new ProjectionError(`${stored.type} is not a session event`);
  }
}

const keyOf = (m: CommitMessage): RowKey => [m.events[0]!.workspace, m.events[0]!.aggregate.id];
const isSessionCommit = (m: CommitMessage) => m.events[0]?.aggregate.type === 'session';

/** `sessions`: one row per session with its status, account, agent, attempts and timestamps. */
export const sessionsProjection: Projection<CommitMessage> = {
  name: 'sessions',
  tables: [
    {
      name: TABLE,
      key: ['workspace', 'id'],
      mode: 'state',
      // Once per row written, not per commit: a replay folds several commits into most rows.
      derived: { column: 'item', compute: (row) => sessionItemJson(row as unknown as SessionItemSource) },
    },
  ],
  reads: (m) => (isSessionCommit(m) ? [[TABLE, keyOf(m)]] : []),
  // A session's first commit is appended at version 0, and only it requests the session.
  creates: (m) => (m.events[0]?.type === 'SessionRequested' ? [[TABLE, keyOf(m)]] : []),
  apply(m, rows) {
    if (!isSessionCommit(m)) return [];
    let row = rows.get(TABLE, keyOf(m)) as FoldedSession | undefined;
    for (const e of m.events) row = applySessionEvent(row, e);
    return [{ op: 'put', table: TABLE, row: row as Row }];
  },
};
