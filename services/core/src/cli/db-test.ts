import { sql } from 'kysely';
import { loadConfig } from '../config/config';
import { createDatabase } from '../db/database';
import { describeDatabaseError } from '../db/describe-error';
import { pendingMigrations } from '../db/migrator';
import { runCli } from './run-cli';

runCli(async () => {
  const config = loadConfig();
  const u = new URL(config.databaseUrl);
  const db = createDatabase(config.databaseUrl, { max: 1, applicationName: 'flywheel-db-test' });
  try {
    const started = performance.now();
    const { rows } = await sql<{ version: string }>`select version()`.execute(db);
    const ms = (performance.now() - started).toFixed(1);
    console.log(`connected to ${u.hostname}:${u.port || 5432}/${u.pathname.slice(1)} in ${ms} ms`);
    console.log(`server: ${rows[0]?.version}`);
    const pending = await pendingMigrations(db);
    console.log(
      pending.length === 0
        ? 'migrations: up to date'
        : `migrations: ${pending.length} pending (${pending.join(', ')}); run make migrate`,
    );
  } catch (err) {
    throw new Error(describeDatabaseError(err, config.databaseUrl), { cause: err });
  } finally {
    await db.destroy();
  }
});
