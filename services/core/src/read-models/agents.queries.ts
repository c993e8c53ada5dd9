import { AGENTS_WORKSPACE, type AgentList, type AgentStatus, type Provider } from '@flywheel/schemas';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import { type CursorCodec, keysetPage } from './cursor';
import { iso, isoOrNull } from './time';

export interface ListAgentsQuery {
  /** The caller's workspace: it counts only its own sessions and owns the cursors. */
  readonly workspace: string;
  readonly status?: AgentStatus;
  /** Only agents that serve this provider. */
  readonly provider?: Provider;
  /** 1..500 */
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

const LIST = 'agents';

/**
 * One page of the agent workers in registration order (agents serve all workspaces), each
 * with the number of the caller's workspace's sessions it runs: other workspaces' load stays
 * private. Keyset pagination on the sequence of each agent's registration, as for accounts.
 */
export async function listAgents(
  db: Kysely<Database>,
  cursors: CursorCodec,
  q: ListAgentsQuery,
): Promise<AgentList> {
  const after = q.cursor === undefined ? null : cursors.decode(q.workspace, LIST, q.cursor);
  let query = db
    .selectFrom('agents as a')
    .selectAll('a')
    .select((eb) =>
      eb
        .selectFrom('agent_sessions as l')
        .where('l.workspace', '=', q.workspace)
        .whereRef('l.agent_id', '=', 'a.id')
        .select(eb.fn.countAll<number>().as('n'))
        .as('sessions_running'),
    )
    // Heartbeats are the dispatcher's record, not events (every 3 s per agent would flood the log).
    .leftJoin('dispatch_agents as d', 'd.agent_id', 'a.id')
    .select('d.last_heartbeat_at')
    .where('a.workspace', '=', AGENTS_WORKSPACE)
    .orderBy('a.created_seq')
    .limit(q.limit + 1);
  if (q.status !== undefined) query = query.where('a.status', '=', q.status);
  if (q.provider !== undefined) query = query.where(sql<boolean>`${q.provider} = any(a.providers)`);
  if (after !== null) query = query.where('a.created_seq', '>', after);
  const rows = await query.execute();
  const { page, nextCursor } = keysetPage(rows, q.limit, (last) =>
    cursors.encode(q.workspace, LIST, last.created_seq),
  );
  return {
    items: page.map((r) => ({
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
      lastHeartbeatAt: isoOrNull(r.last_heartbeat_at),
      streamSeq: r.last_seq,
    })),
    nextCursor,
  };
}
