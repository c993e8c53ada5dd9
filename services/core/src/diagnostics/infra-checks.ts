import { type Kysely, sql } from 'kysely';
import type { Config } from '../config/config';
import { createDatabase } from '../db/database';
import { describeDatabaseError } from '../db/describe-error';
import { pendingMigrations } from '../db/migrator';
import type { Database } from '../db/schema';
import { streamProblems } from '../event-store/streams';
import { createTopology } from '../event-store/topology';
import { connectNats, type NatsHandle } from '../nats/connect';
import type { CheckResult } from './check';

/** NATS reachable, JetStream on, streams present with our settings. Returns the handle for later checks. */
export async function checkNats(
  config: Config,
): Promise<{ results: CheckResult[]; nats: NatsHandle | null }> {
  let nats: NatsHandle;
  try {
    nats = await connectNats(config.natsUrl, 'flywheel-diagnostics');
  } catch (err) {
    return {
      nats: null,
      results: [
        {
          area: 'nats',
          name: 'connection',
          status: 'fail',
          detail: (err as Error).message,
          fix: ['start NATS with JetStream (make up starts one)', 'check NATS_URL'],
        },
      ],
    };
  }
  const results: CheckResult[] = [
    {
      area: 'nats',
      name: 'connection',
      status: 'ok',
      detail: `connected to ${nats.nc.getServer()} with JetStream`,
    },
  ];
  const topology = createTopology(config.streamPrefix);
  const problems = await streamProblems(nats.jsm, topology, {
    replicas: config.streamReplicas,
    outputMaxAgeDays: config.outputMaxAgeDays,
  });
  results.push({
    area: 'nats',
    name: 'streams',
    status: problems.length === 0 ? 'ok' : 'fail',
    detail:
      problems.length === 0
        ? `${topology.events.stream}, ${topology.output.stream}, ${topology.work.stream} as expected`
        : problems.join('; '),
    ...(problems.length === 0
      ? {}
      : {
          fix: [
            'start the gateway once to create missing streams',
            'fix differing settings with `nats stream edit`, or set STREAM_PREFIX',
          ],
        }),
  });
  return { results, nats };
}

/** PostgreSQL reachable and migrated. Returns the database for later checks. */
export async function checkDatabase(
  config: Config,
): Promise<{ results: CheckResult[]; db: Kysely<Database> | null }> {
  const db = createDatabase(config.databaseUrl, { max: 2, applicationName: 'flywheel-diagnostics' });
  try {
    const { rows } = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db);
    const pending = await pendingMigrations(db);
    return {
      db,
      results: [
        { area: 'postgres', name: 'connection', status: 'ok', detail: `PostgreSQL ${rows[0]?.v}` },
        pending.length === 0
          ? { area: 'postgres', name: 'migrations', status: 'ok', detail: 'up to date' }
          : {
              area: 'postgres',
              name: 'migrations',
              status: 'fail',
              detail: `${pending.length} pending: ${pending.join(', ')}`,
              symptom: 'Migration failed',
              fix: ['make migrate', 'if a migration fails: make rollback, then make migrate', 'make db-test'],
            },
      ],
    };
  } catch (err) {
    await db.destroy();
    return {
      db: null,
      results: [
        {
          area: 'postgres',
          name: 'connection',
          status: 'fail',
          detail: describeDatabaseError(err, config.databaseUrl),
          symptom: 'Database connection failed',
          fix: [
            'check DATABASE_URL',
            'check the database server is running (make up starts one)',
            'make db-test',
          ],
        },
      ],
    };
  }
}
