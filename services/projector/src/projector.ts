import {
  InfrastructureError,
  type Logger,
  type NatsHandle,
  type ProjectionName,
  pendingMigrations,
  type Topology,
} from '@flywheel/core';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { sharedDecoder } from './engine/decode';
import { loadCatalog } from './engine/table-catalog';
import { ProjectionRunner } from './live/projection-runner';
import { feedsFor } from './projections';

export interface ProjectorDeps {
  readonly pool: pg.Pool;
  readonly nats: NatsHandle;
  readonly topology: Topology;
  readonly logger: Logger;
  /** Which projections to run (default: all). */
  readonly projections?: readonly ProjectionName[];
  /** A bug the projector must not paper over; `main` exits the process. */
  readonly onFatal: (err: Error) => void;
}

export interface Projector {
  stop(): Promise<void>;
}

/** Session-level advisory lock: one active projector per database; others wait their turn. */
const LEADER_LOCK = 'fw-projector-leader';
const LEADER_POLL_MS = 1000;

async function becomeLeader(deps: ProjectorDeps, stopped: () => boolean): Promise<pg.PoolClient | null> {
  const client = await deps.pool.connect();
  let waiting = false;
  while (!stopped()) {
    const { rows } = await client.query<{ ok: boolean }>(
      'select pg_try_advisory_lock(hashtextextended($1, 0)) as ok',
      [LEADER_LOCK],
    );
    if (rows[0]!.ok) return client;
    if (!waiting) deps.logger.info('another projector is active on this database; standing by');
    waiting = true;
    await new Promise((r) => setTimeout(r, LEADER_POLL_MS));
  }
  client.release();
  return null;
}

/**
 * Starts the projections once this process holds the projector lock (waiting while another
 * projector holds it): one durable consumer and one runner per projection. The lock
 * connection dying means another projector may take over, so that is fatal here.
 */
/**
 * Refuses a database behind the code: its batches call functions and write columns that
 * migrations add, and would otherwise fail one by one with Postgres's words, not ours.
 */
async function requireMigrated(pool: pg.Pool): Promise<void> {
  // Not destroyed: that would end the caller's pool.
  const pending = await pendingMigrations(new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }));
  if (pending.length > 0) {
    throw new InfrastructureError(
      `the database lacks migration${pending.length > 1 ? 's' : ''} ${pending.join(', ')}: run make migrate`,
    );
  }
}

export async function startProjector(deps: ProjectorDeps): Promise<Projector> {
  await requireMigrated(deps.pool);
  let stopping = false;
  const client = await becomeLeader(deps, () => stopping);
  if (client === null) return { stop: async () => undefined };
  client.on('error', (err) => {
    if (!stopping)
      deps.onFatal(new Error(`lost the projector lock connection: ${err.message}`, { cause: err }));
  });
  const runners: ProjectionRunner[] = [];
  try {
    const feeds = feedsFor(deps.topology, deps.projections);
    const catalog = await loadCatalog(
      client,
      feeds.flatMap((f) => f.projection.tables.map((t) => t.name)),
    );
    const decoders = new Map(feeds.map((f) => [f.stream, sharedDecoder(f.decoder)]));
    for (const feed of feeds) {
      const runner = new ProjectionRunner(
        {
          pool: deps.pool,
          nats: deps.nats,
          catalog,
          logger: deps.logger,
          onFatal: deps.onFatal,
          decode: decoders.get(feed.stream)!,
        },
        feed,
      );
      await runner.start();
      runners.push(runner);
    }
  } catch (err) {
    await Promise.all(runners.map((r) => r.stop()));
    client.release();
    throw err;
  }
  return {
    async stop() {
      stopping = true;
      await Promise.all(runners.map((r) => r.stop()));
      client.release();
    },
  };
}
