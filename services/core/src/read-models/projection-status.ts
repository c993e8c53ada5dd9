import type { JetStreamManager } from '@nats-io/jetstream';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { Topology } from '../event-store/topology';
import {
  PROJECTION_NAMES,
  PROJECTIONS,
  type ProjectionName,
  type ProjectionSource,
  projectionConsumerName,
} from './projections';

/** Where one projection stands against its stream, for `/ready` and diagnostics. */
export interface ProjectionStatus {
  readonly name: ProjectionName;
  readonly stream: string;
  /** Last stream sequence applied to the read model (0 before the first batch). */
  readonly checkpoint: number;
  readonly streamLastSeq: number;
  /** Messages in the stream not yet applied: `streamLastSeq - checkpoint`. */
  readonly lag: number;
  readonly deadLetters: number;
  /** When the checkpoint last moved; null when the projection never ran. */
  readonly updatedAt: Date | null;
  /** Whether its durable consumer exists (the projector creates it at start-up). */
  readonly consumer: boolean;
  /**
   * Nobody is projecting: no consumer, or behind with the checkpoint standing still and the
   * first message not applied waiting, both for `stalledAfterMs`.
   */
  readonly stopped: boolean;
}

export interface ProjectionStatusDeps {
  readonly db: Kysely<Database>;
  readonly jsm: JetStreamManager;
  readonly topology: Topology;
}

export interface ProjectionStatusOptions {
  /** How long a lagging checkpoint may stand still before the projection counts as stopped (30 s). */
  readonly stalledAfterMs?: number;
  readonly now?: Date;
}

async function consumerExists(jsm: JetStreamManager, stream: string, name: string): Promise<boolean> {
  try {
    await jsm.consumers.info(stream, name);
    return true;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return false;
    throw err;
  }
}

/** Measures every projection: checkpoint, stream head, lag, dead letters, and whether it is stopped. */
export async function getProjectionStatus(
  deps: ProjectionStatusDeps,
  opts: ProjectionStatusOptions = {},
): Promise<ProjectionStatus[]> {
  const stalledAfterMs = opts.stalledAfterMs ?? 30_000;
  const now = (opts.now ?? new Date()).getTime();
  const streams = { events: deps.topology.events.stream, output: deps.topology.output.stream };
  // Read the checkpoints before the stream heads, so lag is never under-reported.
  const [checkpoints, letters] = await Promise.all([
    deps.db.selectFrom('projection_checkpoints').select(['name', 'last_seq', 'updated_at']).execute(),
    deps.db
      .selectFrom('dead_letters')
      .select(['projection', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('projection')
      .execute(),
  ]);
  const [events, output] = await Promise.all([
    deps.jsm.streams.info(streams.events),
    deps.jsm.streams.info(streams.output),
  ]);
  const heads = { events: events.state.last_seq, output: output.state.last_seq };
  const firsts = { events: events.state.first_seq, output: output.state.first_seq };
  /**
   * Whether the oldest message not applied has waited `stalledAfterMs`. After a quiet
   * spell the checkpoint is old when a new message arrives; that alone is not a stop.
   */
  const waitedLong = async (source: ProjectionSource, checkpoint: number): Promise<boolean> => {
    const stream = streams[source];
    const first = await deps.jsm.direct
      .getMessage(stream, { seq: Math.max(checkpoint + 1, firsts[source]) })
      .catch(() => null);
    // A message deleted from the middle of the stream: judge by the checkpoint alone.
    return first === null || now - first.time.getTime() > stalledAfterMs;
  };
  return Promise.all(
    PROJECTION_NAMES.map(async (name): Promise<ProjectionStatus> => {
      const source = PROJECTIONS[name].source;
      const cp = checkpoints.find((c) => c.name === name);
      const checkpoint = cp?.last_seq ?? 0;
      const lag = Math.max(0, heads[source] - checkpoint);
      // `Generated<Timestamp>` nests a ColumnType, so Kysely types the selected value loosely; pg gives a Date.
      const updatedAt = cp ? new Date(cp.updated_at as unknown as Date) : null;
      const consumer = await consumerExists(deps.jsm, streams[source], projectionConsumerName(name));
      const still = updatedAt === null || now - updatedAt.getTime() > stalledAfterMs;
      return {
        name,
        stream: streams[source],
        checkpoint,
        streamLastSeq: heads[source],
        lag,
        deadLetters: Number(letters.find((l) => l.projection === name)?.count ?? 0),
        updatedAt,
        consumer,
        stopped: !consumer || (lag > 0 && still && (await waitedLong(source, checkpoint))),
      };
    }),
  );
}
