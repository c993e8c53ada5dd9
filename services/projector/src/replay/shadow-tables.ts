import type pg from 'pg';
import { ident } from '../engine/sql';

/** Replay builds each table under this name and swaps it in at the end. */
export const shadowName = (table: string): string => `${table}_shadow`;

/** An index of a live table and the statement that builds its twin on the shadow. */
interface ShadowIndex {
  readonly name: string;
  readonly create: string;
}

export interface ShadowTable {
  readonly table: string;
  readonly primaryKey: string;
  /** Secondary indexes, built after the bulk load (faster than maintaining them row by row). */
  readonly indexes: readonly ShadowIndex[];
}

const INDEX_DEF = /^CREATE (UNIQUE )?INDEX (\S+) ON (?:ONLY )?(\S+) (USING .+)$/;

function checkedName(name: string): string {
  // Postgres truncates identifiers past 63 bytes, which would break the rename back.
  if (Buffer.byteLength(shadowName(name)) > 63) throw new Error(`${name} is too long for a shadow name`);
  return shadowName(name);
}

/**
 * Drops any shadow a killed replay left behind and creates a fresh one with the live
 * table's columns, defaults, checks and primary key (named `<pk>_shadow`).
 */
export async function createShadow(client: pg.ClientBase, table: string): Promise<ShadowTable> {
  const shadow = checkedName(table);
  await client.query(`drop table if exists ${ident(shadow)}`);
  await client.query(
    `create table ${ident(shadow)} (like ${ident(table)} including defaults including constraints including storage)`,
  );
  const pk = await client.query<{ name: string; def: string }>(
    `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
      where conrelid = $1::regclass and contype = 'p'`,
    [table],
  );
  const primary = pk.rows[0];
  if (primary === undefined) throw new Error(`${table} has no primary key`);
  await client.query(
    `alter table ${ident(shadow)} add constraint ${ident(checkedName(primary.name))} ${primary.def}`,
  );
  const idx = await client.query<{ indexname: string; indexdef: string }>(
    `select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = $1 and indexname <> $2`,
    [table, primary.name],
  );
  const indexes = idx.rows.map((r) => {
    const m = INDEX_DEF.exec(r.indexdef);
    if (m === null) throw new Error(`cannot read the definition of index ${r.indexname}: ${r.indexdef}`);
    return {
      name: r.indexname,
      create: `CREATE ${m[1] ?? ''}INDEX ${ident(checkedName(r.indexname))} ON ${ident(shadow)} ${m[4]}`,
    };
  });
  return { table, primaryKey: primary.name, indexes };
}

/**
 * Builds the secondary indexes on loaded shadows and analyzes them, each statement on
 * whichever of `clients` is free: the builds are Postgres's work alone (the replay waits),
 * and one index at a time left a core idle for seconds (1,000,000 events: 3.7 s on one
 * connection, the event index's two indexes 2.2 s of it).
 */
export async function indexShadows(
  clients: readonly pg.ClientBase[],
  shadows: readonly ShadowTable[],
): Promise<void> {
  const statements = [
    ...shadows.flatMap((s) => s.indexes.map((i) => i.create)),
    ...shadows.map((s) => `analyze ${ident(shadowName(s.table))}`),
  ];
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next < statements.length) await client.query(statements[next++]!);
    }),
  );
}

/**
 * Replaces the live table by its shadow inside the caller's transaction: drop, rename,
 * and give the indexes their live names back. Queries waiting on the old table resolve
 * the name again when they get their lock, so they read the new table, never a mix.
 */
export async function swapShadow(client: pg.ClientBase, shadow: ShadowTable): Promise<void> {
  await client.query(`drop table ${ident(shadow.table)}`);
  await client.query(`alter table ${ident(shadowName(shadow.table))} rename to ${ident(shadow.table)}`);
  for (const name of [shadow.primaryKey, ...shadow.indexes.map((i) => i.name)]) {
    // Renaming a constraint's index renames the constraint too.
    await client.query(`alter index ${ident(shadowName(name))} rename to ${ident(name)}`);
  }
}

/** Removes a shadow (a replay that gave up). */
export async function dropShadow(client: pg.ClientBase, table: string): Promise<void> {
  await client.query(`drop table if exists ${ident(shadowName(table))}`);
}
