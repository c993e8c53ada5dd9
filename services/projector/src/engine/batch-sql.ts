import type pg from 'pg';
import type { Projection, Row, RowKey, RowView, TableSpec } from '../projections/projection';
import { copyTime, textArray } from './copy-format';
import { type DeadLetter, type FoldResult, finalRow, keyString, type StateEntry } from './fold';
import { ident, keysIn, quote } from './sql';
import type { Catalog, Column, ColumnType } from './table-catalog';

/*
 * A live batch as SQL text with its values inline, so that it travels in one or two
 * multi-statement queries (simple protocol) instead of a round trip per statement: on this
 * kind of machine each round trip wakes two processes, and under load those wake-ups, not
 * the statements, are what a batch waits for. Every value is either a checked number or
 * boolean, or quoted by `quote`; rows reach here only after the catalog's row check.
 */

const LITERALS: Record<ColumnType, (v: never) => string> = {
  text: (v: string) => quote(v),
  int4: (v: number) => String(v),
  int8: (v: number) => String(v),
  timestamptz: (v: Date) => `'${copyTime(v)}'`,
  jsonb: (v: unknown) => quote(JSON.stringify(v)),
  _text: (v: readonly string[]) => quote(textArray(v)),
  bool: (v: boolean) => (v ? 'true' : 'false'),
};

/** A row as a `values` tuple, columns in catalog order. */
export function rowTuple(columns: readonly Column[], row: Row): string {
  let out = '(';
  for (const [i, c] of columns.entries()) {
    const v = row[c.name];
    out += `${i === 0 ? '' : ', '}${v === null || v === undefined ? 'null' : LITERALS[c.type](v as never)}`;
  }
  return `${out})`;
}

/** The rows a batch reads: one `select` per state table, in `projection.tables` order. */
export interface RowReads {
  readonly tables: readonly TableSpec[];
  readonly sql: readonly string[];
}

/** Maps a projection's table name to the table actually read (a replay reads its shadows). */
export type TableName = (table: string) => string;

export function readStatements(
  projection: Projection<unknown>,
  keys: ReadonlyMap<string, readonly RowKey[]>,
  name: TableName = (t) => t,
): RowReads {
  const tables = projection.tables.filter((t) => t.mode === 'state' && (keys.get(t.name)?.length ?? 0) > 0);
  return {
    tables,
    sql: tables.map((t) => `select * from ${ident(name(t.name))} where ${keysIn(t.key, keys.get(t.name)!)}`),
  };
}

/**
 * The rows `reads` returned, as a view by key. `results` are those of a multi-statement
 * query that ends with the reads (pg answers one result, not a list, for one statement).
 */
export function viewOf(
  reads: RowReads,
  results: pg.QueryResult<Row> | readonly pg.QueryResult<Row>[],
): RowView {
  const all = (Array.isArray(results) ? results : [results]) as readonly pg.QueryResult<Row>[];
  const mine = all.slice(all.length - reads.sql.length);
  const loaded = new Map<string, Map<string, Row>>();
  for (const [i, spec] of reads.tables.entries()) {
    loaded.set(
      spec.name,
      new Map(mine[i]!.rows.map((r) => [keyString(spec.key.map((c) => String(r[c]))), r])),
    );
  }
  return { get: (table, key) => loaded.get(table)?.get(keyString(key)) };
}

/** SQLSTATE of `fw_expect_created` when a row the batch created unread already existed. */
export const CREATED_EXISTED = 'FW002';

/**
 * The statements that write a folded batch: deletes and upserts for state tables,
 * `on conflict do nothing` inserts for append tables (a redelivered chunk keeps its first
 * row). Rows `created` unread (`batchReads`) are inserted only if absent, and the batch
 * fails with FW002 (migration 0007) unless every one was.
 */
export function writeStatements(
  catalog: Catalog,
  projection: Projection<unknown>,
  fold: FoldResult,
  created: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
): string[] {
  const out: string[] = [];
  for (const spec of projection.tables) {
    const columns = catalog.get(spec.name)!;
    const insert = (rows: readonly Row[]) =>
      `insert into ${ident(spec.name)} (${columns.map((c) => ident(c.name)).join(', ')}) values ${rows
        .map((r) => rowTuple(columns, r))
        .join(',\n')}`;
    if (spec.mode === 'append') {
      const rows = fold.appends.get(spec.name) ?? [];
      if (rows.length > 0) out.push(`${insert(rows)} on conflict do nothing`);
      continue;
    }
    const entries = [...(fold.state.get(spec.name)?.values() ?? [])];
    const deleted = entries.filter((e) => e.row === null).map((e) => e.key);
    if (deleted.length > 0) out.push(`delete from ${ident(spec.name)} where ${keysIn(spec.key, deleted)}`);
    const fresh = created.get(spec.name);
    const isFresh = (e: StateEntry) => fresh?.has(keyString(e.key)) === true;
    const news = entries.flatMap((e) => (e.row !== null && isFresh(e) ? [finalRow(spec, e.row)] : []));
    if (news.length > 0) {
      out.push(
        `with inserted as (${insert(news)} on conflict do nothing returning 1)
         select fw_expect_created(${quote(spec.name)}, (select count(*) from inserted), ${news.length})`,
      );
    }
    const rows = entries.flatMap((e) => (e.row !== null && !isFresh(e) ? [finalRow(spec, e.row)] : []));
    if (rows.length > 0) {
      const updates = columns
        .filter((c) => !spec.key.includes(c.name))
        .map((c) => `${ident(c.name)} = excluded.${ident(c.name)}`)
        .join(', ');
      out.push(`${insert(rows)} on conflict (${spec.key.map(ident).join(', ')}) do update set ${updates}`);
    }
  }
  return out;
}

/** Records dead letters; a message dead-lettered again (redelivery, replay) keeps one row with the latest error. */
export function deadLetterStatement(letters: readonly DeadLetter[]): string | null {
  if (letters.length === 0) return null;
  const tuples = letters.map(
    (l) =>
      `(${quote(l.projection)}, ${l.streamSeq}, ${quote(l.eventType)}, ${quote(l.error)}, ${quote(JSON.stringify(l.payload))})`,
  );
  return `insert into dead_letters (projection, stream_seq, event_type, error, payload) values ${tuples.join(',\n')}
     on conflict (projection, stream_seq) do update
       set event_type = excluded.event_type, error = excluded.error, payload = excluded.payload`;
}
