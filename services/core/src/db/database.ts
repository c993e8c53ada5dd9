import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

// int8 (bigint) columns hold stream sequences; they stay well below 2^53 so numbers are safe.
pg.types.setTypeParser(20, (v) => Number(v));

export interface DatabaseOptions {
  readonly max?: number;
  readonly applicationName?: string;
  /**
   * A pooled connection failed (PostgreSQL restarted, or the connection was terminated).
   * A query on it fails and the pool replaces it; this only reports it.
   */
  readonly onConnectionError?: (err: Error) => void;
}

/** A pg pool with the project's type parsing, for code that needs the driver itself (COPY, LISTEN). */
export function createPgPool(url: string, opts: DatabaseOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'flywheel',
  });
  // A client emits 'error' when its connection dies, idle in the pool or checked out
  // between two queries; with no listener, Node would end the process. The query on it
  // fails, and the pool drops a broken client when it is released.
  pool.on('connect', (client) => client.on('error', (err) => opts.onConnectionError?.(err)));
  // The pool repeats an idle client's error, which the client's listener reported.
  pool.on('error', () => undefined);
  return pool;
}

/** `onConnectionError` for a service: a warning, since the pool recovers by itself. */
export function logConnectionError(logger: { warn(obj: object, msg: string): void }): (err: Error) => void {
  return (err) => logger.warn({ err }, 'a PostgreSQL connection failed; the pool replaces it');
}

/** Creates the typed Kysely instance over a pg pool. Close it with `db.destroy()`. */
export function createDatabase(url: string, opts: DatabaseOptions = {}): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPgPool(url, opts) }) });
}

/** Splits a database URL into the server URL (maintenance db `postgres`) and the database name. */
export function splitDatabaseUrl(url: string): { readonly serverUrl: string; readonly database: string } {
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres';
  u.pathname = '/postgres';
  return { serverUrl: u.toString(), database };
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const { serverUrl, database } = splitDatabaseUrl(url);
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount) return false;
    await client.query(`create database "${database.replaceAll('"', '""')}"`);
    return true;
  } catch (err) {
    // 42P04: created concurrently by another process.
    if ((err as { code?: string }).code === '42P04') return false;
    throw err;
  } finally {
    await client.end();
  }
}
