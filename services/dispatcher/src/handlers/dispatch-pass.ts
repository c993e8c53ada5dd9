import {
  type Database,
  type EventStore,
  InvalidTransitionError,
  type Logger,
  type NatsHandle,
  NotFoundError,
  type SessionState,
  type Topology,
} from '@flywheel/core';
import type { Provider } from '@flywheel/schemas';
import type { Kysely } from 'kysely';
import type { Commander } from '../adapters/commander';
import {
  loadPool,
  markAssigned,
  markWaiting,
  queuedPools,
  removeSession,
  tryLockPool,
  workItemFields,
} from '../adapters/pool-store';
import { publishWorkItem } from '../adapters/work-publisher';
import { type Decision, planDispatch } from '../domain/dispatch-plan';

/** Queued sessions planned per pool and pass; a full pool is planned again at once. */
const POOL_BATCH = 500;
/** Commands in flight at once within a pass. */
const CONCURRENCY = 32;

export interface DispatchDeps {
  readonly db: Kysely<Database>;
  readonly nats: NatsHandle;
  readonly topology: Topology;
  readonly store: EventStore;
  readonly commander: Commander;
  readonly logger: Logger;
  readonly clock: () => Date;
}

type WorkFields = Awaited<ReturnType<typeof workItemFields>>;

const isQueued = (s: SessionState) => s.status === 'Queued';

async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Carries out one planned decision; every command re-checks that the session is still Queued.
 * The local writes are single autocommit statements, not part of the pool's transaction: held
 * across NATS round trips, their row locks would deadlock with the consumer's batches.
 */
async function carryOut(
  deps: DispatchDeps,
  workspace: string,
  provider: Provider,
  work: WorkFields,
  d: Decision,
): Promise<boolean> {
  const { commander } = deps;
  const { sessionId } = d;
  switch (d.kind) {
    case 'assign': {
      const fields = work.get(sessionId);
      if (fields === undefined) return false;
      const r = await commander.session(
        workspace,
        sessionId,
        { type: 'AssignSession', data: { accountId: d.accountId } },
        isQueued,
      );
      const assigned = r.events.find((e) => e.type === 'SessionAssigned');
      if (assigned === undefined) return false;
      const { attempt } = assigned.data;
      // A crash between the append and this publish leaves the session Starting with no work
      // item; the start timeout requeues it.
      await publishWorkItem(deps.nats, deps.topology, {
        sessionId,
        workspace,
        provider,
        accountId: d.accountId,
        attempt,
        model: fields.model,
        prompt: fields.prompt,
      });
      await markAssigned(deps.db, {
        sessionId,
        version: r.version,
        attempt,
        accountId: d.accountId,
        at: deps.clock(),
      });
      deps.logger.debug({ sessionId, accountId: d.accountId, attempt }, 'session dispatched');
      return true;
    }
    case 'wait': {
      const r = await commander.session(
        workspace,
        sessionId,
        { type: 'RecordSessionWaiting', data: { reason: d.reason, eta: d.eta } },
        isQueued,
      );
      if (r.state.status === 'Queued') {
        await markWaiting(deps.db, { sessionId, version: r.version, reason: d.reason, eta: d.eta });
      }
      return false;
    }
    case 'fail': {
      const r = await commander.session(
        workspace,
        sessionId,
        { type: 'FailSession', data: { reason: d.reason } },
        isQueued,
      );
      if (r.events.length > 0) await removeSession(deps.db, sessionId);
      deps.logger.info({ sessionId, reason: d.reason }, 'session failed: its account cannot run it');
      return false;
    }
  }
}

/**
 * One pass over every pool with queued sessions: plan, then carry the plan out. Each pool is
 * planned and carried out under a transaction-scoped advisory lock, so replicas never work
 * on the same pool at once (the transaction holds nothing else). Returns true when a pool had
 * more queued sessions than one pass plans and made progress, so the caller goes again.
 */
export async function dispatchPass(deps: DispatchDeps): Promise<boolean> {
  let more = false;
  for (const { workspace, provider } of await queuedPools(deps.db)) {
    await deps.db.transaction().execute(async (trx) => {
      if (!(await tryLockPool(trx, workspace, provider))) return;
      const pool = await loadPool(trx, workspace, provider, POOL_BATCH);
      const plan = planDispatch(pool);
      const work = await workItemFields(
        trx,
        plan.filter((d) => d.kind === 'assign').map((d) => d.sessionId),
      );
      let assigned = 0;
      await forEachConcurrently(plan, CONCURRENCY, async (d) => {
        try {
          if (await carryOut(deps, workspace, provider as Provider, work, d)) assigned++;
        } catch (err) {
          // The session moved on (cancelled, or another replica got there); the next pass sees it.
          if (err instanceof InvalidTransitionError || err instanceof NotFoundError) return;
          deps.logger.warn(
            { err, sessionId: d.sessionId },
            `dispatching a session failed: ${(err as Error).message}`,
          );
        }
      });
      if (assigned > 0 && pool.sessions.length === POOL_BATCH) more = true;
    });
  }
  return more;
}
