import { CheckpointConflictError, type Database } from '@flywheel/core';
import type { AccountStatus } from '@flywheel/schemas';
import { type Kysely, sql, type Transaction, type Updateable } from 'kysely';
import type { AccountView, PoolView, QueuedSessionView } from '../domain/dispatch-plan';
import type { Change } from '../domain/event-reactions';
import type { TimerKind, TimerSpec } from '../domain/timer-rules';

type Db = Kysely<Database> | Transaction<Database>;

const CHECKPOINT = 'dispatcher';
const IN_FLIGHT = ['Starting', 'Running'];

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** Where the dispatcher's state has got to in `EVENTS` (0 before the first event). */
export async function readCheckpoint(db: Db): Promise<number> {
  const row = await db
    .selectFrom('dispatch_checkpoint')
    .select('last_seq')
    .where('name', '=', CHECKPOINT)
    .executeTakeFirst();
  return row?.last_seq ?? 0;
}

/**
 * Moves the checkpoint from `from` to `to`, or throws `CheckpointConflictError` when it is no
 * longer at `from`; called in the transaction that applies the events in between.
 */
export async function advanceCheckpoint(trx: Transaction<Database>, from: number, to: number): Promise<void> {
  if (from === 0) {
    await trx
      .insertInto('dispatch_checkpoint')
      .values({ name: CHECKPOINT, last_seq: 0 })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
  const result = await trx
    .updateTable('dispatch_checkpoint')
    .set({ last_seq: to, updated_at: sql`now()` })
    .where('name', '=', CHECKPOINT)
    .where('last_seq', '=', from)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) {
    throw new CheckpointConflictError(`the dispatcher checkpoint is no longer at ${from}`, {
      details: { expected: from },
    });
  }
}

/** Applies one change from `reactTo`; a change older than the row it targets is skipped. */
export async function applyChange(trx: Transaction<Database>, c: Change): Promise<void> {
  switch (c.op) {
    case 'session.queue':
      await trx
        .insertInto('dispatch_sessions')
        .values({
          session_id: c.sessionId,
          workspace: c.workspace,
          provider: c.provider,
          model: c.model,
          prompt: c.prompt,
          requested_account_id: c.requestedAccountId,
          status: 'Queued',
          queued_seq: c.seq,
          version: c.seq,
        })
        .onConflict((oc) => oc.column('session_id').doNothing())
        .execute();
      return;
    case 'session.patch': {
      const p = c.patch;
      const set: Updateable<Database['dispatch_sessions']> = { version: c.seq };
      if (p.status !== undefined) set.status = p.status;
      if (p.attempt !== undefined) set.attempt = p.attempt;
      if (p.accountId !== undefined) set.account_id = p.accountId;
      if (p.agentId !== undefined) set.agent_id = p.agentId;
      if (p.failedAccountId !== undefined) set.failed_account_id = p.failedAccountId;
      if (p.waitingReason !== undefined) set.waiting_reason = p.waitingReason;
      if (p.waitingEta !== undefined) set.waiting_eta = p.waitingEta;
      await trx
        .updateTable('dispatch_sessions')
        .set(set)
        .$if(c.countStartTimeout === true, (q) => q.set({ start_timeouts: sql`start_timeouts + 1` }))
        .where('session_id', '=', c.sessionId)
        .where('version', '<', c.seq)
        .execute();
      return;
    }
    case 'session.remove':
      await trx.deleteFrom('dispatch_sessions').where('session_id', '=', c.sessionId).execute();
      return;
    case 'account.link':
      await trx
        .insertInto('dispatch_accounts')
        .values({
          account_id: c.accountId,
          workspace: c.workspace,
          provider: c.provider,
          auth_type: c.authType,
          base_url: c.baseUrl,
          status: 'Verifying',
          max_concurrent: c.maxConcurrent,
          version: c.seq,
        })
        .onConflict((oc) => oc.column('account_id').doNothing())
        .execute();
      return;
    case 'account.patch': {
      const p = c.patch;
      const set: Updateable<Database['dispatch_accounts']> = { version: c.seq };
      if (p.status !== undefined) set.status = p.status;
      if (p.cooldownUntil !== undefined) set.cooldown_until = p.cooldownUntil;
      if (p.errorReason !== undefined) set.error_reason = p.errorReason;
      await trx
        .updateTable('dispatch_accounts')
        .set(set)
        .where('account_id', '=', c.accountId)
        .where('version', '<', c.seq)
        .execute();
      return;
    }
    case 'account.used':
      await markAccountUsed(trx, c.accountId, c.at);
      return;
    case 'agent.register':
      await trx
        .insertInto('dispatch_agents')
        .values({
          agent_id: c.agentId,
          workspace: c.workspace,
          status: 'Online',
          providers: [...c.providers],
          capacity: c.capacity,
          last_heartbeat_at: c.heardAt,
        })
        .onConflict((oc) =>
          oc.column('agent_id').doUpdateSet({
            workspace: c.workspace,
            status: 'Online',
            providers: [...c.providers],
            capacity: c.capacity,
            last_heartbeat_at: sql`greatest(dispatch_agents.last_heartbeat_at, excluded.last_heartbeat_at)`,
          }),
        )
        .execute();
      return;
    case 'agent.status':
      await trx
        .updateTable('dispatch_agents')
        .set({ status: c.status })
        .where('agent_id', '=', c.agentId)
        .execute();
      return;
    case 'timer.set':
      await setTimer(trx, c.timer);
      return;
    case 'timer.clear':
      await trx.deleteFrom('dispatch_timers').where('kind', '=', c.kind).where('key', '=', c.key).execute();
      return;
  }
}

/** Records that an account was just given a session (never moves the time backwards). */
export async function markAccountUsed(db: Db, accountId: string, at: string | Date): Promise<void> {
  await db
    .updateTable('dispatch_accounts')
    .set({ last_used_at: sql`greatest(coalesce(last_used_at, ${at}::timestamptz), ${at}::timestamptz)` })
    .where('account_id', '=', accountId)
    .execute();
}

/** Sets (or moves) a timer; a dispatcher running the old one will not delete the new one. */
export async function setTimer(db: Db, t: TimerSpec): Promise<void> {
  const payload = JSON.stringify(t.payload);
  await db
    .insertInto('dispatch_timers')
    .values({ kind: t.kind, key: t.key, workspace: t.workspace, due_at: t.dueAt, payload, lease_id: null })
    .onConflict((oc) =>
      oc
        .columns(['kind', 'key'])
        .doUpdateSet({ workspace: t.workspace, due_at: t.dueAt, payload, lease_id: null }),
    )
    .execute();
}

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

/** The work item fields of a queued session, beside its planner view. */
export interface QueuedSessionRow extends QueuedSessionView {
  readonly workspace: string;
  readonly provider: string;
  readonly model: string | null;
  readonly prompt: string;
}

/** Everything the planner needs for one pool, plus the queued sessions' work-item fields. */
export async function loadPool(
  db: Db,
  workspace: string,
  provider: string,
  limit: number,
): Promise<Omit<PoolView, 'sessions'> & { readonly sessions: readonly QueuedSessionRow[] }> {
  const sessions = await db
    .selectFrom('dispatch_sessions')
    .select([
      'session_id',
      'workspace',
      'provider',
      'model',
      'prompt',
      'requested_account_id',
      'failed_account_id',
      'waiting_reason',
      'waiting_eta',
    ])
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
    sessions: sessions.map((s) => ({
      sessionId: s.session_id,
      workspace: s.workspace,
      provider: s.provider,
      model: s.model,
      prompt: s.prompt,
      requestedAccountId: s.requested_account_id,
      failedAccountId: s.failed_account_id,
      waitingReason: s.waiting_reason,
      waitingEta: iso(s.waiting_eta),
    })),
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
  await markAccountUsed(db, s.accountId, s.at);
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

export interface SessionRow {
  readonly sessionId: string;
  readonly workspace: string;
  readonly status: string;
  readonly attempt: number;
  readonly agentId: string | null;
  readonly startTimeouts: number;
}

const sessionColumns = [
  'session_id',
  'workspace',
  'status',
  'attempt',
  'agent_id',
  'start_timeouts',
] as const;
const toSessionRow = (r: {
  session_id: string;
  workspace: string;
  status: string;
  attempt: number;
  agent_id: string | null;
  start_timeouts: number;
}): SessionRow => ({
  sessionId: r.session_id,
  workspace: r.workspace,
  status: r.status,
  attempt: r.attempt,
  agentId: r.agent_id,
  startTimeouts: r.start_timeouts,
});

export async function findSession(db: Db, sessionId: string): Promise<SessionRow | undefined> {
  const r = await db
    .selectFrom('dispatch_sessions')
    .select(sessionColumns)
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  return r && toSessionRow(r);
}

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
    await setTimer(trx, {
      kind: 'agent_silent',
      key: h.agentId,
      workspace: row.workspace,
      dueAt: h.silentAt,
      payload: {},
    });
    return true;
  });
}

/** A timer claimed by one dispatcher for a short lease. */
export interface ClaimedTimer {
  readonly kind: TimerKind;
  readonly key: string;
  readonly workspace: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly leaseId: string;
}

/**
 * Claims up to `limit` due timers for `leaseMs`: they are pushed out by the lease so no other
 * dispatcher takes them, and come back by themselves if this one dies before finishing.
 * `skip locked` lets replicas claim side by side without waiting on each other.
 */
export async function claimDueTimers(
  db: Kysely<Database>,
  now: Date,
  limit: number,
  leaseMs: number,
  leaseId: string,
): Promise<ClaimedTimer[]> {
  const rows = await sql<{
    kind: string;
    key: string;
    workspace: string;
    payload: Record<string, unknown>;
  }>`
    with due as (
      select kind, key from dispatch_timers
      where due_at <= ${now}
      order by due_at
      limit ${limit}
      for update skip locked
    )
    update dispatch_timers t
    set lease_id = ${leaseId}, due_at = ${new Date(now.getTime() + leaseMs)}
    from due
    where t.kind = due.kind and t.key = due.key
    returning t.kind, t.key, t.workspace, t.payload
  `.execute(db);
  return rows.rows.map((r) => ({
    kind: r.kind as TimerKind,
    key: r.key,
    workspace: r.workspace,
    payload: r.payload,
    leaseId,
  }));
}

/** Deletes a timer that has fired, unless it was set again meanwhile. */
export async function finishTimer(db: Db, t: ClaimedTimer): Promise<void> {
  await db
    .deleteFrom('dispatch_timers')
    .where('kind', '=', t.kind)
    .where('key', '=', t.key)
    .where('lease_id', '=', t.leaseId)
    .execute();
}

/** Fires a claimed timer again at `dueAt`, unless it was set again meanwhile. */
export async function rescheduleTimer(
  db: Db,
  t: ClaimedTimer,
  dueAt: string,
  payload: Readonly<Record<string, unknown>> = t.payload,
): Promise<void> {
  await db
    .updateTable('dispatch_timers')
    .set({ due_at: dueAt, payload: JSON.stringify(payload), lease_id: null })
    .where('kind', '=', t.kind)
    .where('key', '=', t.key)
    .where('lease_id', '=', t.leaseId)
    .execute();
}

/** When the next timer is due, or null when none is set. */
export async function nextTimerDue(db: Db): Promise<Date | null> {
  const row = await db
    .selectFrom('dispatch_timers')
    .select((eb) => eb.fn.min('due_at').as('due'))
    .executeTakeFirst();
  return row?.due ? new Date(row.due) : null;
}
