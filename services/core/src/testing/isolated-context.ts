import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { createDatabase, splitDatabaseUrl } from '../db/database';
import { migrateToLatest } from '../db/migrator';
import type { Database } from '../db/schema';
import { createEventStore, type EventStore } from '../event-store/event-store';
import { ensureStreams } from '../event-store/streams';
import { createTopology, type Topology } from '../event-store/topology';
import { connectNats, type NatsHandle } from '../nats/connect';

/** Everything a test file needs, isolated from every other test file; `dispose` removes it all. */
export interface TestContext {
  readonly id: string;
  readonly natsUrl: string;
  readonly databaseUrl: string;
  readonly nats: NatsHandle;
  readonly db: Kysely<Database>;
  readonly topology: Topology;
  readonly eventStore: EventStore;
  /** Environment for a child process that should see this test's database and streams. */
  readonly env: Record<string, string>;
  dispose(): Promise<void>;
}

export interface TestContextOptions {
  /** Apply migrations (default true). */
  readonly migrate?: boolean;
  /** Create the streams (default true). */
  readonly streams?: boolean;
}

export interface ServerUrls {
  readonly natsUrl: string;
  /** Any database on the server; only its server part is used. */
  readonly databaseUrl: string;
}

/**
 * Creates a fresh database and a unique stream prefix on the given servers, for one test
 * file or one benchmark suite; `dispose` drops both.
 */
export async function createIsolatedContext(
  urls: ServerUrls,
  opts: TestContextOptions = {},
): Promise<TestContext> {
  const { natsUrl, databaseUrl: serverDbUrl } = urls;
  const id = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const dbName = `fw_test_${id}`;
  const admin = new pg.Client({ connectionString: splitDatabaseUrl(serverDbUrl).serverUrl });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  const u = new URL(serverDbUrl);
  u.pathname = `/${dbName}`;
  const databaseUrl = u.toString();
  const db = createDatabase(databaseUrl, { max: 5, applicationName: `test-${id}` });
  if (opts.migrate !== false) await migrateToLatest(db);

  const topology = createTopology(id);
  const nats = await connectNats(natsUrl, `test-${id}`);
  if (opts.streams !== false) await ensureStreams(nats.jsm, topology, { replicas: 1, outputMaxAgeDays: 1 });

  return {
    id,
    natsUrl,
    databaseUrl,
    nats,
    db,
    topology,
    eventStore: createEventStore(nats, topology),
    env: {
      NATS_URL: natsUrl,
      DATABASE_URL: databaseUrl,
      STREAM_PREFIX: id,
      NODE_ENV: 'test',
      JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
      GATEWAY_MASTER_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      OUTPUT_MAX_AGE_DAYS: '1',
    },
    async dispose() {
      for (const s of [topology.events.stream, topology.output.stream, topology.work.stream]) {
        await nats.jsm.streams.delete(s).catch(() => undefined);
      }
      await nats.nc.close();
      await db.destroy();
      const a = new pg.Client({ connectionString: splitDatabaseUrl(serverDbUrl).serverUrl });
      await a.connect();
      // pg's pool.end() resolves before its clients have finished closing; terminating one
      // mid-close makes it emit an unhandled error, so give our own connections a moment.
      for (let i = 0; i < 40; i++) {
        const open = await a.query(
          'select 1 from pg_stat_activity where datname = $1 and application_name = $2',
          [dbName, `test-${id}`],
        );
        if (open.rowCount === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await a.query(`drop database if exists ${dbName} with (force)`);
      await a.end();
    },
  };
}
