import type { AgentStatus, AgentView, Provider } from '@flywheel/schemas';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { iso } from './time';

const MAX_AGENTS = 1000;

/** A workspace's agent workers in registration order, with the sessions each runs. */
export async function listAgents(db: Kysely<Database>, workspace: string): Promise<AgentView[]> {
  const rows = await db
    .selectFrom('agents as a')
    .selectAll('a')
    .select((eb) =>
      eb
        .selectFrom('agent_sessions as l')
        .whereRef('l.workspace', '=', 'a.workspace')
        .whereRef('l.agent_id', '=', 'a.id')
        .select(eb.fn.countAll<number>().as('n'))
        .as('sessions_running'),
    )
    .where('a.workspace', '=', workspace)
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
