import { AGENTS_WORKSPACE, type AgentStatus, type AgentView, type Provider } from '@flywheel/schemas';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { iso } from './time';

const MAX_AGENTS = 1000;

/**
 * Every agent worker in registration order (agents serve all workspaces), each with the
 * number of the caller's workspace's sessions it runs: other workspaces' load stays private.
 */
export async function listAgents(db: Kysely<Database>, workspace: string): Promise<AgentView[]> {
  const rows = await db
    .selectFrom('agents as a')
    .selectAll('a')
    .select((eb) =>
      eb
        .selectFrom('agent_sessions as l')
        .where('l.workspace', '=', workspace)
        .whereRef('l.agent_id', '=', 'a.id')
        .select(eb.fn.countAll<number>().as('n'))
        .as('sessions_running'),
    )
    .where('a.workspace', '=', AGENTS_WORKSPACE)
    .orderBy('a.created_seq')
    .limit(MAX_AGENTS)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    status: r.status as AgentStatus,
    providers: r.providers as Provider[],
    maxConcurrent: r.max_concurrent,
    sessionsRunning: Number(r.sessions_running ?? 0),
    version: r.version,
    offlineReason: r.offline_reason,
    registeredAt: iso(r.registered_at),
    lastSeenAt: iso(r.last_seen_at),
    streamSeq: r.last_seq,
  }));
}
