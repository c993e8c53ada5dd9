import { type Database, ProjectionError, type StoredEvent } from '@flywheel/core';
import type { DomainEvent } from '@flywheel/schemas';
import type { Selectable } from 'kysely';
import type { CommitMessage, Projection, Row, RowKey } from './projection';

export type SessionRow = Selectable<Database['sessions']>;

const TABLE = 'sessions';
/** Characters of the prompt kept for lists; the full prompt is in the same row for details. */
export const PROMPT_PREVIEW_LENGTH = 200;

/** Columns that only apply to some statuses; cleared on every transition, as the aggregate does. */
const TRANSIENT = {
  account_id: null,
  agent_id: null,
  queue_reason: null,
  queue_eta: null,
  reason: null,
  output_chunks: null,
  input_tokens: null,
  output_tokens: null,
} as const;

function existing(row: SessionRow | undefined, e: StoredEvent): SessionRow {
  if (row === undefined) {
    throw new ProjectionError(`${e.type} for session ${e.aggregate.id}, which was never requested`);
  }
  return row;
}

/** Folds one event into a session row; pure. */
export function applySessionEvent(row: SessionRow | undefined, stored: StoredEvent): SessionRow {
  const at = new Date(stored.at);
  const event = { type: stored.type, data: stored.data } as DomainEvent;
  const touched = { updated_at: at, last_seq: stored.seq };
  switch (event.type) {
    case 'SessionRequested': {
      if (row !== undefined) {
        throw new ProjectionError(`session ${stored.aggregate.id} was requested twice`);
      }
      const d = event.data;
      return {
        ...TRANSIENT,
        ...touched,
        workspace: stored.workspace,
        id: stored.aggregate.id,
        status: 'Queued',
        provider: d.provider,
        model: d.model,
        prompt: d.prompt,
        prompt_preview: d.prompt.slice(0, PROMPT_PREVIEW_LENGTH),
        requested_account_id: d.requestedAccountId,
        attempts: 0,
        max_attempts: d.maxAttempts,
        failed_account_ids: [],
        metadata: d.metadata,
        created_at: at,
        queued_at: at,
        assigned_at: null,
        started_at: null,
        finished_at: null,
        created_seq: stored.seq,
      };
    }
    case 'SessionWaiting': {
      const s = existing(row, stored);
      return {
        ...s,
        ...touched,
        queue_reason: event.data.reason,
        queue_eta: event.data.eta === null ? null : new Date(event.data.eta),
      };
    }
    case 'SessionAssigned': {
      const s = existing(row, stored);
      return {
        ...s,
        ...TRANSIENT,
        ...touched,
        status: 'Starting',
        account_id: event.data.accountId,
        attempts: event.data.attempt,
        assigned_at: at,
      };
    }
    case 'SessionStarted': {
      const s = existing(row, stored);
      return {
        ...s,
        ...TRANSIENT,
        ...touched,
        status: 'Running',
        account_id: s.account_id,
        agent_id: event.data.agentId,
        started_at: at,
      };
    }
    case 'SessionRequeued': {
      const s = existing(row, stored);
      const { reason, failedAccountId, eta } = event.data;
      return {
        ...s,
        ...TRANSIENT,
        ...touched,
        status: 'Queued',
        failed_account_ids:
          failedAccountId === null ? s.failed_account_ids : [...s.failed_account_ids, failedAccountId],
        queue_reason: reason,
        queue_eta: eta === null ? null : new Date(eta),
        queued_at: at,
      };
    }
    case 'SessionCompleted': {
      const s = existing(row, stored);
      return {
        ...s,
        ...TRANSIENT,
        ...touched,
        status: 'Completed',
        account_id: s.account_id,
        agent_id: s.agent_id,
        output_chunks: event.data.outputChunks,
        input_tokens: event.data.inputTokens,
        output_tokens: event.data.outputTokens,
        finished_at: at,
      };
    }
    case 'SessionFailed':
    case 'SessionCancelled': {
      const s = existing(row, stored);
      return {
        ...s,
        ...TRANSIENT,
        ...touched,
        status: event.type === 'SessionFailed' ? 'Failed' : 'Cancelled',
        reason: event.data.reason,
        finished_at: at,
      };
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
  tables: [{ name: TABLE, key: ['workspace', 'id'], mode: 'state' }],
  reads: (m) => (isSessionCommit(m) ? [[TABLE, keyOf(m)]] : []),
  apply(m, rows) {
    if (!isSessionCommit(m)) return [];
    let row = rows.get(TABLE, keyOf(m)) as SessionRow | undefined;
    for (const e of m.events) row = applySessionEvent(row, e);
    return [{ op: 'put', table: TABLE, row: row as Row }];
  },
};
