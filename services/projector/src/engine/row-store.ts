import type pg from 'pg';
import type { Projection, Row, RowKey, RowView } from '../projections/projection';
import type { DeadLetter, FoldResult } from './fold';
import { keyString } from './fold';
import { ident, keysIn, toParam } from './sql';
import type { Catalog, Column } from './table-catalog';

/** Maps a projection's table name to the table actually written (the live one, or its replay shadow). */
export type TableName = (table: string) => string;
export const liveTable: TableName = (t) => t;

/** Postgres accepts at most 65535 parameters per statement. */
const MAX_PARAMS = 60_000;

/** Reads the rows a batch needs, one query per table, and serves them as a `RowView`. */
export async function loadRows(
  client: pg.ClientBase,
  projection: Projection<unknown>,
  keys: ReadonlyMap<string, readonly RowKey[]>,
  name: TableName = liveTable,
): Promise<RowView> {
  const loaded = new Map<string, Map<string, Row>>();
  for (const spec of projection.tables) {
    const wanted = keys.get(spec.name);
    if (spec.mode !== 'state' || wanted === undefined || wanted.length === 0) continue;
    const where = keysIn(spec.key, wanted);
    // Named, so Postgres plans it once per connection: the text depends only on the table.
    const { rows } = await client.query<Row>({
      name: `fw-load-${name(spec.name)}`,
      text: `select * from ${ident(name(spec.name))} where ${where.sql}`,
      values: where.params,
    });
    loaded.set(spec.name, new Map(rows.map((r) => [keyString(spec.key.map((c) => String(r[c]))), r])));
  }
  return { get: (table, key) => loaded.get(table)?.get(keyString(key)) };
}

async function insertRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly Column[],
  rows: readonly Row[],
  conflict: string,
): Promise<void> {
  const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const names = columns.map((c) => ident(c.name)).join(', ');
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const placeholders = columns.map((c) => {
        params.push(toParam(c, row[c.name]));
        return `$${params.length}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    await client.query(
      `insert into ${ident(table)} (${names}) values ${tuples.join(', ')} ${conflict}`,
      params,
    );
  }
}

/**
 * Writes a folded batch with ordinary statements: upserts and deletes for state tables,
 * `on conflict do nothing` inserts for append tables. Used by the live projector, whose
 * batches are small; replay writes with COPY instead.
 */
export async function writeFold(
  client: pg.ClientBase,
  catalog: Catalog,
  projection: Projection<unknown>,
  fold: FoldResult,
  name: TableName = liveTable,
): Promise<void> {
  for (const spec of projection.tables) {
    const columns = catalog.get(spec.name)!;
    const table = name(spec.name);
    if (spec.mode === 'append') {
      const rows = fold.appends.get(spec.name) ?? [];
      if (rows.length > 0) await insertRows(client, table, columns, rows, 'on conflict do nothing');
      continue;
    }
    const entries = [...(fold.state.get(spec.name)?.values() ?? [])];
    const deleted = entries.filter((e) => e.row === null).map((e) => e.key);
    if (deleted.length > 0) {
      const where = keysIn(spec.key, deleted);
      await client.query(`delete from ${ident(table)} where ${where.sql}`, where.params);
    }
    const rows = entries.flatMap((e) => (e.row === null ? [] : [e.row]));
    if (rows.length > 0) {
      const updates = columns
        .filter((c) => !spec.key.includes(c.name))
        .map((c) => `${ident(c.name)} = excluded.${ident(c.name)}`)
        .join(', ');
      const conflict = `on conflict (${spec.key.map(ident).join(', ')}) do update set ${updates}`;
      await insertRows(client, table, columns, rows, conflict);
    }
  }
}

/** Records dead letters; a message dead-lettered again (redelivery, replay) keeps one row with the latest error. */
export async function writeDeadLetters(client: pg.ClientBase, letters: readonly DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  const params: unknown[] = [];
  const tuples = letters.map((l) => {
    params.push(l.projection, l.streamSeq, l.eventType, l.error, JSON.stringify(l.payload));
    const n = params.length;
    return `($${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
  });
  await client.query(
    `insert into dead_letters (projection, stream_seq, event_type, error, payload) values ${tuples.join(', ')}
     on conflict (projection, stream_seq) do update
       set event_type = excluded.event_type, error = excluded.error, payload = excluded.payload`,
    params,
  );
}
