import {
  type Database,
  type Logger,
  type NatsHandle,
  readCommit,
  type StoredEvent,
  type Topology,
} from '@flywheel/core';
import type { DomainEvent } from '@flywheel/schemas';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
} from '@nats-io/jetstream';
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Change, type EventFact, reactTo } from '../domain/event-reactions';
import { netChanges } from '../domain/net-changes';
import type { DispatchTimings } from '../domain/timer-rules';
import { advanceCheckpoint, readCheckpoint } from './checkpoint-store';
import { writeNetChanges } from './net-change-writer';
import { sleep } from './sleep';

/** Name of the durable consumer on `EVENTS` and of the dispatcher's rows in `dead_letters`. */
export const DISPATCHER_CONSUMER = 'dispatcher';
const LEADER_LOCK = 'flywheel.dispatcher.consumer';
const MAX_BATCH = 500;
const ACK_WAIT_NS = 30 * 1e9;

export interface EventConsumerDeps {
  readonly nats: NatsHandle;
  readonly db: Kysely<Database>;
  readonly topology: Topology;
  readonly logger: Logger;
  readonly timings: DispatchTimings;
  readonly clock: () => Date;
  /** Told after each committed batch what it changed, so the loops can react at once. */
  readonly onApplied: (changes: readonly Change[]) => void;
}

export interface EventConsumer {
  stop(): Promise<void>;
}

function toFact(e: StoredEvent): EventFact {
  return {
    ...({ type: e.type, data: e.data } as DomainEvent),
    aggregateId: e.aggregate.id,
    workspace: e.workspace,
    at: e.at,
    seq: e.seq,
  };
}

/**
 * Folds `EVENTS` into the dispatcher's tables with a durable consumer. Each batch of events
 * (as its net effect per row) and the checkpoint (compare-and-set) commit in one transaction
 * and are acked after it, so a crash anywhere neither loses nor doubles an event; a
 * redelivered one at or below the checkpoint is skipped. One replica consumes at a time, holding a Postgres advisory lock on
 * the connection it writes with: if that connection dies the lock goes with it and another
 * replica takes over; the others keep dispatching and firing timers from the shared tables.
 */
export function startEventConsumer(deps: EventConsumerDeps): EventConsumer {
  const { nats, db, topology, logger } = deps;
  const stream = topology.events.stream;
  const abort = new AbortController();
  let wake: () => void = () => undefined;
  abort.signal.addEventListener('abort', () => wake());

  async function ensureConsumer(checkpoint: number): Promise<void> {
    try {
      const info = await nats.jsm.consumers.info(stream, DISPATCHER_CONSUMER);
      // Messages a previous leader took but never acked would come back only after
      // ack_wait (30 s), holding up every timer behind them. Only the leader consumes, so
      // when delivery ran ahead of the checkpoint, start over right behind the checkpoint.
      if (info.delivered.stream_seq <= checkpoint && info.num_ack_pending === 0) return;
      await nats.jsm.consumers.delete(stream, DISPATCHER_CONSUMER);
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    }
    // A new consumer starts where the tables left off (everything, for a fresh install).
    await nats.jsm.consumers.add(stream, {
      durable_name: DISPATCHER_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ACK_WAIT_NS,
      max_ack_pending: 4 * MAX_BATCH,
      ...(checkpoint > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: checkpoint + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
  }

  async function deadLetter(trx: Transaction<Database>, msg: JsMsg, err: unknown): Promise<void> {
    let payload: unknown;
    try {
      payload = msg.json();
    } catch {
      payload = { raw: msg.string() };
    }
    const type = (payload as { events?: { type?: unknown }[] }).events?.[0]?.type;
    await trx
      .insertInto('dead_letters')
      .values({
        projection: DISPATCHER_CONSUMER,
        stream_seq: msg.seq,
        event_type: typeof type === 'string' ? type : 'unknown',
        error: (err as Error).message,
        payload: JSON.stringify(payload),
      })
      .onConflict((oc) => oc.columns(['projection', 'stream_seq']).doNothing())
      .execute();
    logger.error({ err, seq: msg.seq }, 'dispatcher cannot read an event; it is in dead_letters and skipped');
  }

  async function applyBatch(conn: Kysely<Database>, batch: readonly JsMsg[]): Promise<Change[]> {
    const now = deps.clock();
    return conn.transaction().execute(async (trx) => {
      const from = await readCheckpoint(trx);
      let last = from;
      const changes: Change[] = [];
      for (const msg of batch) {
        if (msg.seq <= last) continue;
        let facts: EventFact[];
        try {
          facts = readCommit(msg.seq, msg.data).map(toFact);
        } catch (err) {
          await deadLetter(trx, msg, err);
          last = msg.seq;
          continue;
        }
        for (const fact of facts) changes.push(...reactTo(fact, now, deps.timings));
        last = msg.seq;
      }
      // A batch becomes one write per row it touches: a few statements, however many events.
      await writeNetChanges(trx, netChanges(changes));
      if (last > from) await advanceCheckpoint(trx, from, last);
      return changes;
    });
  }

  async function consumeAsLeader(conn: Kysely<Database>): Promise<void> {
    await ensureConsumer(await readCheckpoint(conn));
    const consumer = await nats.js.consumers.get(stream, DISPATCHER_CONSUMER);
    const buffer: JsMsg[] = [];
    let ended = false;
    const messages = await consumer.consume({
      max_messages: 2 * MAX_BATCH,
      callback: (m) => {
        buffer.push(m);
        wake();
      },
    });
    void messages.closed().then(() => {
      ended = true;
      wake();
    });
    try {
      while (!abort.signal.aborted && !ended) {
        if (buffer.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          continue;
        }
        const batch = buffer.splice(0, MAX_BATCH);
        let changes: Change[];
        try {
          changes = await applyBatch(conn, batch);
        } catch (err) {
          // Hand everything back in order; it is redelivered when this or another replica consumes again.
          for (const m of [...batch, ...buffer.splice(0)]) m.nak();
          throw err;
        }
        for (const m of batch) m.ack();
        if (changes.length > 0) deps.onApplied(changes);
      }
    } finally {
      wake = () => undefined;
      await messages.close().catch(() => undefined);
    }
  }

  async function leaderTurn(): Promise<void> {
    await db.connection().execute(async (conn) => {
      const { rows } = await sql<{
        leader: boolean;
      }>`select pg_try_advisory_lock(hashtext(${LEADER_LOCK})) as leader`.execute(conn);
      if (rows[0]?.leader !== true) return;
      logger.info('dispatcher consuming EVENTS');
      try {
        await consumeAsLeader(conn);
      } finally {
        await sql`select pg_advisory_unlock(hashtext(${LEADER_LOCK}))`.execute(conn).catch(() => undefined);
      }
    });
  }

  const running = (async () => {
    while (!abort.signal.aborted) {
      try {
        await leaderTurn();
      } catch (err) {
        logger.warn({ err }, `dispatcher event consumer stopped: ${(err as Error).message}; retrying`);
      }
      await sleep(1000, abort.signal);
    }
  })();

  return {
    async stop() {
      abort.abort();
      await running;
    },
  };
}

/** Resolves once the dispatcher's tables have caught up with `seq` (whichever replica consumes). */
export async function waitForCheckpoint(
  db: Kysely<Database>,
  seq: number,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted && (await readCheckpoint(db)) < seq) await sleep(100, signal);
}
