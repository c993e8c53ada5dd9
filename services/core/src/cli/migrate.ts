import { loadConfig } from '../config/config';
import { createDatabase, ensureDatabase, splitDatabaseUrl } from '../db/database';
import { describeDatabaseError } from '../db/describe-error';
import { migrateToLatest, rollback } from '../db/migrator';
import { runCli } from './run-cli';

runCli(async () => {
  const config = loadConfig();
  const down = process.argv.includes('--down');
  const all = process.argv.includes('--all');
  try {
    if (!down && (await ensureDatabase(config.databaseUrl))) {
      console.log(`created database ${splitDatabaseUrl(config.databaseUrl).database}`);
    }
  } catch (err) {
    throw new Error(describeDatabaseError(err, config.databaseUrl), { cause: err });
  }
  const db = createDatabase(config.databaseUrl, { max: 1, applicationName: 'flywheel-migrate' });
  try {
    const result = down ? await rollback(db, all) : await migrateToLatest(db);
    const done = result.results ?? [];
    if (done.length === 0) console.log(down ? 'nothing to roll back' : 'database is up to date');
    for (const r of done)
      console.log(`${r.direction === 'Up' ? 'applied' : 'rolled back'} ${r.migrationName}`);
  } catch (err) {
    const code =
      (err as { code?: string }).code ?? ((err as Error).cause as { code?: string } | undefined)?.code;
    throw code ? new Error(describeDatabaseError((err as Error).cause ?? err, config.databaseUrl)) : err;
  } finally {
    await db.destroy();
  }
});
