import type { Database } from '@flywheel/core';
import type { AccountStatus } from '@flywheel/schemas';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { AccountView, PoolView, QueuedSessionView } from '../domain/dispatch-plan';

type Db = Kysely<Database> | Transaction<Database>;

const IN_FLIGHT = ['Starting', 'Running'];

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** (workspace, provider) pairs with at least one queued session. */
export async function queuedPools(db: Db): Promise<{ workspace: string; provider: string }[]> {
  return db
    .selectFrom('dispatch_sessions')
    .select(['workspace', 'provider'])
    .where('status', '=', 'Queued')
    .groupBy(['workspace', 'provider'])
    .execute();
}

/**
 * Takes the pool's dispatch lock for the rest of `trx`, so that two dispatchers never plan
 * the same pool at once (the loser skips it); false when another holds it.
 */
export async function tryLockPool(
  trx: Transaction<Database>,
  workspace: string,
  provider: string,
): Promise<boolean> {
  const { rows } = await sql<{
    locked: boolean;
  }>`select pg_try_advisory_xact_lock(hashtext(${`flywheel.dispatch:${workspace}:${provider}`})) as locked`.execute(
    trx,
  );
  return rows[0]?.locked === true;
}

/** Everything the planner needs for one pool: its oldest `limit` queued sessions, accounts and agents. */
export async function loadPool(
  db: Db,
  workspace: string,
  provider: string,
  limit: number,
): Promise<PoolView> {
  const sessions = await db
    .selectFrom('dispatch_sessions')
    .select(['session_id', 'requested_account_id', 'failed_account_id', 'waiting_reason', 'waiting_eta'])
    .where('workspace', '=', workspace)
    .where('provider', '=', provider)
    .where('status', '=', 'Queued')
    .orderBy('queued_seq')
    .limit(limit)
    .execute();
  const accounts = await db
    .selectFrom('dispatch_accounts as a')
    .select((eb) => [
      'a.account_id',
      'a.provider',
      'a.status',
      'a.cooldown_until',
      'a.error_reason',
      'a.max_concurrent',
      'a.last_used_at',
      eb
        .selectFrom('dispatch_sessions as s')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('s.account_id', '=', 'a.account_id')
        .where('s.status', 'in', IN_FLIGHT)
        .as('running'),
    ])
    .where('a.workspace', '=', workspace)
    .execute();
  const agents = await agentCapacity(db, provider);
  return {
    provider,
    accounts: accounts.map(
      (a): AccountView => ({
        accountId: a.account_id,
        provider: a.provider,
        status: a.status as AccountStatus,
        cooldownUntil: iso(a.cooldown_until),
        errorReason: a.error_reason,
        maxConcurrent: a.max_concurrent,
        running: Number(a.running ?? 0),
        lastUsedAt: iso(a.last_used_at),
      }),
    ),
    ...agents,
    sessions: sessions.map(
      (s): QueuedSessionView => ({
        sessionId: s.session_id,
        requestedAccountId: s.requested_account_id,
        failedAccountId: s.failed_account_id,
        waitingReason: s.waiting_reason,
        waitingEta: iso(s.waiting_eta),
      }),
    ),
  };
}

/**
 * Online agents serving `provider`, and how many more sessions they can take: their free
 * capacity (capacity less the sessions they run) less the sessions dispatched and not yet
 * started, which some agent will pull next.
 */
async function agentCapacity(
  db: Db,
  provider: string,
): Promise<{ agentsOnline: number; agentSlots: number }> {
  const agents = await db
    .selectFrom('dispatch_agents as g')
    .select((eb) => [
      'g.capacity',
      eb
        .selectFrom('dispatch_sessions as s')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('s.agent_id', '=', 'g.agent_id')
        .where('s.status', '=', 'Running')
        .as('running'),
    ])
    .where('g.status', '=', 'Online')
    .where(sql<boolean>`${provider} = any(g.providers)`)
    .execute();
  const starting = await db
    .selectFrom('dispatch_sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('provider', '=', provider)
    .where('status', '=', 'Starting')
    .executeTakeFirstOrThrow();
  const free = agents.reduce((sum, a) => sum + Math.max(0, a.capacity - Number(a.running ?? 0)), 0);
  return { agentsOnline: agents.length, agentSlots: free - Number(starting.n) };
}

/** After a successful AssignSession: the session is Starting on `accountId`, so the next plan counts it. */
export async function markAssigned(
  db: Db,
  s: { sessionId: string; version: number; attempt: number; accountId: string; at: Date },
): Promise<void> {
  await db
    .updateTable('dispatch_sessions')
    .set({
      status: 'Starting',
      attempt: s.attempt,
      account_id: s.accountId,
      agent_id: null,
      version: s.version,
    })
    .where('session_id', '=', s.sessionId)
    .where('version', '<', s.version)
    .execute();
  await db
    .updateTable('dispatch_accounts')
    .set({ last_used_at: sql`greatest(coalesce(last_used_at, ${s.at}::timestamptz), ${s.at}::timestamptz)` })
    .where('account_id', '=', s.accountId)
    .execute();
}

/** After RecordSessionWaiting (or finding the session already says so): do not say it again. */
export async function markWaiting(
  db: Db,
  s: { sessionId: string; version: number; reason: string; eta: string | null },
): Promise<void> {
  await db
    .updateTable('dispatch_sessions')
    .set({
      waiting_reason: s.reason,
      waiting_eta: s.eta,
      version: sql`greatest(version, ${s.version}::bigint)`,
    })
    .where('session_id', '=', s.sessionId)
    .execute();
}

/** Forgets a session that reached a terminal status. */
export async function removeSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('dispatch_sessions').where('session_id', '=', sessionId).execute();
}

/** What a work item carries of each session being dispatched (read only for those, as prompts can be large). */
export async function workItemFields(
  db: Db,
  sessionIds: readonly string[],
): Promise<
  Map<string, { readonly workspace: string; readonly model: string | null; readonly prompt: string }>
> {
  if (sessionIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('dispatch_sessions')
    .select(['session_id', 'workspace', 'model', 'prompt'])
    .where('session_id', 'in', [...sessionIds])
    .execute();
  return new Map(
    rows.map((r) => [r.session_id, { workspace: r.workspace, model: r.model, prompt: r.prompt }]),
  );
}
