import type { Database } from '@flywheel/core';
import { type Insertable, sql, type Transaction } from 'kysely';
import type { AccountPatch, SessionPatch } from '../domain/event-reactions';
import type { NetChanges } from '../domain/net-changes';
import type { TimerSpec } from '../domain/timer-rules';
import { setTimers } from './timer-store';

/** Patch fields as the columns they set; a key present with null sets the column to null. */
function sessionColumns(p: SessionPatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.status !== undefined) out.status = p.status;
  if (p.attempt !== undefined) out.attempt = p.attempt;
  if (p.accountId !== undefined) out.account_id = p.accountId;
  if (p.agentId !== undefined) out.agent_id = p.agentId;
  if (p.failedAccountId !== undefined) out.failed_account_id = p.failedAccountId;
  if (p.waitingReason !== undefined) out.waiting_reason = p.waitingReason;
  if (p.waitingEta !== undefined) out.waiting_eta = p.waitingEta;
  return out;
}

function accountColumns(p: AccountPatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.status !== undefined) out.status = p.status;
  if (p.cooldownUntil !== undefined) out.cooldown_until = p.cooldownUntil;
  if (p.errorReason !== undefined) out.error_reason = p.errorReason;
  return out;
}

/** `col = case when the patch has the key then its value else the column`, for a jsonb patch `v.p`. */
const patched = (column: string, type: string) =>
  sql.raw(`${column} = case when v.p ? '${column}' then (v.p->>'${column}')::${type} else t.${column} end`);

/**
 * Writes the net effect of a batch in a handful of set-based statements, whatever its size.
 * Patches carry the version of their last event and only touch rows older than it, so a row
 * the dispatcher already moved ahead itself is left alone.
 */
export async function writeNetChanges(trx: Transaction<Database>, net: NetChanges): Promise<void> {
  const removed: string[] = [];
  const inserts: Insertable<Database['dispatch_sessions']>[] = [];
  const patches: { id: string; version: number; p: Record<string, unknown> }[] = [];
  for (const [id, s] of net.sessions) {
    if (s.kind === 'removed') removed.push(id);
    else if (s.queued !== null) {
      inserts.push({
        session_id: id,
        workspace: s.queued.workspace,
        provider: s.queued.provider,
        model: s.queued.model,
        prompt: s.queued.prompt,
        requested_account_id: s.queued.requestedAccountId,
        status: 'Queued',
        account_id: null,
        agent_id: null,
        failed_account_id: null,
        waiting_reason: null,
        waiting_eta: null,
        queued_seq: s.queued.seq,
        version: s.version,
        ...(sessionColumns(s.patch) as Partial<Insertable<Database['dispatch_sessions']>>),
      });
    } else patches.push({ id, version: s.version, p: sessionColumns(s.patch) });
  }
  if (removed.length > 0)
    await trx.deleteFrom('dispatch_sessions').where('session_id', 'in', removed).execute();
  if (inserts.length > 0) {
    await trx
      .insertInto('dispatch_sessions')
      .values(inserts)
      .onConflict((oc) => oc.column('session_id').doNothing())
      .execute();
  }
  if (patches.length > 0) {
    await sql`
      update dispatch_sessions t set
        ${patched('status', 'text')}, ${patched('attempt', 'int')}, ${patched('account_id', 'text')},
        ${patched('agent_id', 'text')}, ${patched('failed_account_id', 'text')},
        ${patched('waiting_reason', 'text')}, ${patched('waiting_eta', 'timestamptz')},
        version = v.version
      from (
        select x->>'id' as id, (x->>'version')::bigint as version, x->'p' as p
        from jsonb_array_elements(${JSON.stringify(patches)}::jsonb) x
      ) v
      where t.session_id = v.id and t.version < v.version
    `.execute(trx);
  }

  const links: Insertable<Database['dispatch_accounts']>[] = [];
  const accountPatches: { id: string; version: number; p: Record<string, unknown> }[] = [];
  const used: { id: string; at: string }[] = [];
  for (const [id, a] of net.accounts) {
    if (a.linked !== null) {
      links.push({
        account_id: id,
        workspace: a.linked.workspace,
        provider: a.linked.provider,
        auth_type: a.linked.authType,
        base_url: a.linked.baseUrl,
        status: 'Verifying',
        cooldown_until: null,
        error_reason: null,
        max_concurrent: a.linked.maxConcurrent,
        last_used_at: a.usedAt,
        version: a.version,
        ...(accountColumns(a.patch) as Partial<Insertable<Database['dispatch_accounts']>>),
      });
      continue;
    }
    if (a.version > 0) accountPatches.push({ id, version: a.version, p: accountColumns(a.patch) });
    if (a.usedAt !== null) used.push({ id, at: a.usedAt });
  }
  if (links.length > 0) {
    await trx
      .insertInto('dispatch_accounts')
      .values(links)
      .onConflict((oc) => oc.column('account_id').doNothing())
      .execute();
  }
  if (accountPatches.length > 0) {
    await sql`
      update dispatch_accounts t set
        ${patched('status', 'text')}, ${patched('cooldown_until', 'timestamptz')},
        ${patched('error_reason', 'text')}, version = v.version
      from (
        select x->>'id' as id, (x->>'version')::bigint as version, x->'p' as p
        from jsonb_array_elements(${JSON.stringify(accountPatches)}::jsonb) x
      ) v
      where t.account_id = v.id and t.version < v.version
    `.execute(trx);
  }
  if (used.length > 0) {
    await sql`
      update dispatch_accounts t
      set last_used_at = greatest(coalesce(t.last_used_at, v.at), v.at)
      from (
        select x->>'id' as id, (x->>'at')::timestamptz as at
        from jsonb_array_elements(${JSON.stringify(used)}::jsonb) x
      ) v
      where t.account_id = v.id
    `.execute(trx);
  }

  for (const c of net.agents) {
    if (c.op === 'agent.status') {
      await trx
        .updateTable('dispatch_agents')
        .set({ status: c.status })
        .where('agent_id', '=', c.agentId)
        .execute();
      continue;
    }
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
  }

  const sets: TimerSpec[] = [];
  const clears: { kind: string; key: string }[] = [];
  for (const t of net.timers.values()) {
    if (t.op === 'set') sets.push(t.timer);
    else clears.push({ kind: t.kind, key: t.key });
  }
  await setTimers(trx, sets);
  if (clears.length > 0) {
    await sql`
      delete from dispatch_timers t
      using jsonb_to_recordset(${JSON.stringify(clears)}::jsonb) as c(kind text, key text)
      where t.kind = c.kind and t.key = c.key
    `.execute(trx);
  }
}
