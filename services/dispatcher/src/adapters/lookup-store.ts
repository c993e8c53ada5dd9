import type { Database } from '@flywheel/core';
import type { Kysely, Transaction } from 'kysely';
import { setTimers } from './timer-store';

type Db = Kysely<Database> | Transaction<Database>;

export interface SessionRow {
  readonly sessionId: string;
  readonly workspace: string;
  readonly status: string;
  readonly attempt: number;
  readonly agentId: string | null;
}

const sessionColumns = ['session_id', 'workspace', 'status', 'attempt', 'agent_id'] as const;
const toSessionRow = (r: {
  session_id: string;
  workspace: string;
  status: string;
  attempt: number;
  agent_id: string | null;
}): SessionRow => ({
  sessionId: r.session_id,
  workspace: r.workspace,
  status: r.status,
  attempt: r.attempt,
  agentId: r.agent_id,
});

/** Sessions an agent was running. */
export async function sessionsOfAgent(db: Db, agentId: string): Promise<SessionRow[]> {
  const rows = await db
    .selectFrom('dispatch_sessions')
    .select(sessionColumns)
    .where('agent_id', '=', agentId)
    .where('status', '=', 'Running')
    .execute();
  return rows.map(toSessionRow);
}

export interface AccountRow {
  readonly accountId: string;
  readonly workspace: string;
  readonly provider: string;
  readonly authType: 'api_key' | 'oauth';
  readonly baseUrl: string | null;
  readonly status: string;
}

export async function findAccount(db: Db, accountId: string): Promise<AccountRow | undefined> {
  const r = await db
    .selectFrom('dispatch_accounts')
    .select(['account_id', 'workspace', 'provider', 'auth_type', 'base_url', 'status'])
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return (
    r && {
      accountId: r.account_id,
      workspace: r.workspace,
      provider: r.provider,
      authType: r.auth_type === 'oauth' ? 'oauth' : 'api_key',
      baseUrl: r.base_url,
      status: r.status,
    }
  );
}

export interface AgentRow {
  readonly agentId: string;
  readonly workspace: string;
  readonly status: string;
  readonly lastHeartbeatAt: string;
}

export async function findAgent(db: Db, agentId: string): Promise<AgentRow | undefined> {
  const r = await db
    .selectFrom('dispatch_agents')
    .select(['agent_id', 'workspace', 'status', 'last_heartbeat_at'])
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
  return (
    r && {
      agentId: r.agent_id,
      workspace: r.workspace,
      status: r.status,
      lastHeartbeatAt: new Date(r.last_heartbeat_at).toISOString(),
    }
  );
}

/**
 * A heartbeat: the agent was heard from at `at` and announces `capacity`; its silence timer
 * moves to `silentAt`. False when the agent is unknown or Offline (it must register again).
 */
export async function recordHeartbeat(
  db: Kysely<Database>,
  h: { agentId: string; capacity: number; at: Date; silentAt: string },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('dispatch_agents')
      .set({ last_heartbeat_at: h.at, capacity: h.capacity })
      .where('agent_id', '=', h.agentId)
      .where('status', '<>', 'Offline')
      .returning('workspace')
      .executeTakeFirst();
    if (!row) return false;
    await setTimers(trx, [
      { kind: 'agent_silent', key: h.agentId, workspace: row.workspace, dueAt: h.silentAt, payload: {} },
    ]);
    return true;
  });
}
