import {
  type Database,
  type EventStore,
  type NatsHandle,
  PROJECTION_NAMES,
  PROJECTIONS,
  type ProjectionName,
  projectionConsumerName,
  type Topology,
} from '@flywheel/core';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { type Kysely, sql } from 'kysely';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where one projection and its durable consumer stood at one instant (a crash test's evidence). */
export interface ProjectionProbe {
  readonly name: ProjectionName;
  /** The stream's last sequence. */
  readonly head: number;
  /** `projection_checkpoints.last_seq`: what Postgres has committed. */
  readonly checkpoint: number;
  /** The consumer's cumulative ack floor: what NATS knows was applied. */
  readonly ackFloor: number;
  /** The last stream sequence the consumer delivered. */
  readonly delivered: number;
  /** Delivered and not acked. */
  readonly ackPending: number;
  /** Where the consumer was created to start (`opt_start_seq`), and when: a new value means it was recreated. */
  readonly startSeq: number;
  readonly created: string;
}

/** Every projection's committed checkpoint (0 for one that has none yet). */
export async function readCheckpoints(db: Kysely<Database>): Promise<Record<ProjectionName, number>> {
  const rows = await db.selectFrom('projection_checkpoints').select(['name', 'last_seq']).execute();
  return Object.fromEntries(
    PROJECTION_NAMES.map((n) => [n, rows.find((r) => r.name === n)?.last_seq ?? 0]),
  ) as Record<ProjectionName, number>;
}

/** The checkpoints, then each stream's head and each consumer's state (null: no consumer yet). */
export async function probeProjections(deps: {
  db: Kysely<Database>;
  nats: NatsHandle;
  topology: Topology;
}): Promise<Record<ProjectionName, ProjectionProbe | null>> {
  const checkpoints = await readCheckpoints(deps.db);
  const streams = { events: deps.topology.events.stream, output: deps.topology.output.stream };
  const heads = {
    events: (await deps.nats.jsm.streams.info(streams.events)).state.last_seq,
    output: (await deps.nats.jsm.streams.info(streams.output)).state.last_seq,
  };
  const out: Partial<Record<ProjectionName, ProjectionProbe | null>> = {};
  for (const name of PROJECTION_NAMES) {
    const stream = streams[PROJECTIONS[name].source];
    const info = await deps.nats.jsm.consumers.info(stream, projectionConsumerName(name)).catch((err) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return null;
      throw err;
    });
    out[name] =
      info === null
        ? null
        : {
            name,
            head: heads[PROJECTIONS[name].source],
            checkpoint: checkpoints[name],
            ackFloor: info.ack_floor.stream_seq,
            delivered: info.delivered.stream_seq,
            ackPending: info.num_ack_pending,
            startSeq: info.config.opt_start_seq ?? 0,
            created: info.created,
          };
  }
  return out as Record<ProjectionName, ProjectionProbe | null>;
}

/**
 * Waits until no Postgres session of `applicationName` is left on the database. After a
 * `kill -9`, a backend may still be running the last query the process sent (a commit);
 * once they are all gone, nothing the dead process sent can still move a checkpoint.
 */
export async function waitForSessionsGone(
  db: Kysely<Database>,
  applicationName: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
       where datname = current_database() and application_name = ${applicationName}`.execute(db);
    if (r.rows[0]!.n === 0) return;
    if (Date.now() > deadline) throw new Error(`${r.rows[0]!.n} ${applicationName} sessions still open`);
    await sleep(10);
  }
}

/**
 * Spaces calls out to at most `rate()` per second (Infinity: no waiting). Waiting callers
 * read the rate again every few milliseconds, so a change applies at once rather than after
 * the slots already handed out.
 */
export function createPacer(rate: () => number): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY;
  return async () => {
    for (;;) {
      const now = performance.now();
      const due = last + 1000 / rate();
      if (due <= now) {
        // Slots missed while timers overslept may be caught up, but not an idle stretch.
        last = Math.max(due, now - 10);
        return;
      }
      await sleep(Math.min(due - now, 5));
    }
  };
}

/** The event store with every append waiting for `pace` first (to spread a workload over time). */
export function pacedEventStore(store: EventStore, pace: () => Promise<void>): EventStore {
  return {
    append: async (...args) => {
      await pace();
      return store.append(...args);
    },
    load: store.load.bind(store),
    version: store.version.bind(store),
  };
}
