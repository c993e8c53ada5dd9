import { type Kysely, type MigrationResultSet, Migrator, NO_MIGRATIONS } from 'kysely';
import { MIGRATIONS } from './migrations';

function migrator<DB>(db: Kysely<DB>): Migrator {
  return new Migrator({
    db: db as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<MigrationResultSet> {
  return check(await migrator(db).migrateToLatest());
}

/** Undoes the latest applied migration, or all of them with `all`. */
export async function rollback<DB>(db: Kysely<DB>, all = false): Promise<MigrationResultSet> {
  const m = migrator(db);
  return check(all ? await m.migrateTo(NO_MIGRATIONS) : await m.migrateDown());
}

/** Names of migrations not yet applied. */
export async function pendingMigrations<DB>(db: Kysely<DB>): Promise<string[]> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}

function check(result: MigrationResultSet): MigrationResultSet {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const err = result.error as Error;
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${err.message}`, {
      cause: err,
    });
  }
  return result;
}
