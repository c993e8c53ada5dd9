import { type Database, ProjectionError, type StoredEvent } from '@flywheel/core';
import { AGENTS_WORKSPACE, type DomainEvent } from '@flywheel/schemas';
import type { Selectable } from 'kysely';
import type { CommitMessage, Projection, Row, RowChange, RowKey, RowView } from './projection';

export type AgentRow = Selectable<Database['agents']>;
export type AgentSessionRow = Selectable<Database['agent_sessions']>;

const AGENTS = 'agents';
const LINKS = 'agent_sessions';

function existing(row: AgentRow | undefined, e: StoredEvent): AgentRow {
  if (row === undefined) {
    throw new ProjectionError(`${e.type} for agent ${e.aggregate.id}, which never registered`);
  }
  return row;
}

/** Folds one agent event into an agent row; pure. */
export function applyAgentEvent(row: AgentRow | undefined, stored: StoredEvent): AgentRow {
  const at = new Date(stored.at);
  const event = { type: stored.type, data: stored.data } as DomainEvent;
  const touched = { updated_at: at, last_seq: stored.seq };
  switch (event.type) {
    case 'AgentRegistered': {
      const d = event.data;
      // A restarted worker registers again under its id: same row, fresh settings.
      return {
        workspace: stored.workspace,
        id: stored.aggregate.id,
        created_seq: row?.created_seq ?? stored.seq,
        ...touched,
        status: 'Online',
        name: d.name,
        providers: [...d.providers],
        max_concurrent: d.maxConcurrent,
        version: d.version,
        offline_reason: null,
        registered_at: at,
        last_seen_at: at,
      };
    }
    case 'AgentDrainStarted':
      return { ...existing(row, stored), ...touched, status: 'Draining', last_seen_at: at };
    case 'AgentResumed':
      return { ...existing(row, stored), ...touched, status: 'Online', last_seen_at: at };
    case 'AgentWentOffline':
      return { ...existing(row, stored), ...touched, status: 'Offline', offline_reason: event.data.reason };
    default:
      throw new ProjectionError(`${stored.type} is not an agent event`);
  }
}

/** Session events that end an agent's hold on a session. */
const RELEASES = new Set(['SessionRequeued', 'SessionCompleted', 'SessionFailed', 'SessionCancelled']);

const agentKey = (workspace: string, id: string): RowKey => [workspace, id];
// Agents serve every workspace and live under one shared token; the session links keep
// the session's workspace, so each workspace counts only its own sessions.
const startedBy = (e: StoredEvent) => (e.data as { agentId: string }).agentId;

function sessionChanges(m: CommitMessage, rows: RowView): RowChange[] {
  const changes: RowChange[] = [];
  const seen = new Map<string, AgentRow>();
  for (const e of m.events) {
    if (e.type === 'SessionStarted') {
      const agentId = startedBy(e);
      const row: AgentSessionRow = {
        workspace: e.workspace,
        session_id: e.aggregate.id,
        agent_id: agentId,
        since: new Date(e.at),
      };
      changes.push({ op: 'put', table: LINKS, row });
      const agent = seen.get(agentId) ?? (rows.get(AGENTS, agentKey(AGENTS_WORKSPACE, agentId)) as AgentRow);
      if (agent !== undefined) seen.set(agentId, { ...agent, last_seen_at: new Date(e.at) });
    } else if (RELEASES.has(e.type)) {
      changes.push({ op: 'delete', table: LINKS, key: [e.workspace, e.aggregate.id] });
    }
  }
  for (const row of seen.values()) changes.push({ op: 'put', table: AGENTS, row });
  return changes;
}

/** `agents`: one row per agent worker (status, providers, capacity, last seen) and the sessions it runs. */
export const agentsProjection: Projection<CommitMessage> = {
  name: 'agents',
  tables: [
    { name: AGENTS, key: ['workspace', 'id'], mode: 'state' },
    { name: LINKS, key: ['workspace', 'session_id'], mode: 'state' },
  ],
  reads(m) {
    const first = m.events[0]!;
    if (first.aggregate.type === 'agent') return [[AGENTS, agentKey(first.workspace, first.aggregate.id)]];
    if (first.aggregate.type !== 'session') return [];
    return m.events
      .filter((e) => e.type === 'SessionStarted')
      .map((e) => [AGENTS, agentKey(AGENTS_WORKSPACE, startedBy(e))] as const);
  },
  apply(m, rows) {
    const first = m.events[0]!;
    if (first.aggregate.type === 'session') return sessionChanges(m, rows);
    if (first.aggregate.type !== 'agent') return [];
    let row = rows.get(AGENTS, agentKey(first.workspace, first.aggregate.id)) as AgentRow | undefined;
    for (const e of m.events) row = applyAgentEvent(row, e);
    return [{ op: 'put', table: AGENTS, row: row as Row }];
  },
};
