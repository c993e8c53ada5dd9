import type { Database } from '@flywheel/core';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { TimerKind, TimerSpec } from '../domain/timer-rules';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Sets (or moves) timers; one that a dispatcher is running is re-armed, so its lease no
 * longer matches and the running dispatcher will not delete it.
 */
export async function setTimers(db: Db, timers: readonly TimerSpec[]): Promise<void> {
  if (timers.length === 0) return;
  await db
    .insertInto('dispatch_timers')
    .values(
      timers.map((t) => ({
        kind: t.kind,
        key: t.key,
        workspace: t.workspace,
        due_at: t.dueAt,
        payload: JSON.stringify(t.payload),
        lease_id: null,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['kind', 'key']).doUpdateSet((eb) => ({
        workspace: eb.ref('excluded.workspace'),
        due_at: eb.ref('excluded.due_at'),
        payload: eb.ref('excluded.payload'),
        lease_id: null,
      })),
    )
    .execute();
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
