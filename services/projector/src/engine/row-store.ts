import type pg from 'pg';
import type { Projection, Row, RowKey, RowView, TableSpec } from '../projections/projection';
import { deadLetterStatement, viewOf } from './batch-sql';
import type { DeadLetter } from './fold';
import { ident, keysIn } from './sql';

/** Maps a projection's table name to the table actually read (a replay shadow). */
export type TableName = (table: string) => string;

/** Reads the rows a replay chunk needs, one query per table, and serves them as a `RowView`. */
export async function loadRows(
  client: pg.ClientBase,
  projection: Projection<unknown>,
  keys: ReadonlyMap<string, readonly RowKey[]>,
  name: TableName,
): Promise<RowView> {
  const tables: TableSpec[] = [];
  const results: Row[][] = [];
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
    tables.push(spec);
    results.push(rows);
  }
  return viewOf(tables, results);
}

/** Records dead letters; a message dead-lettered again (redelivery, replay) keeps one row with the latest error. */
export async function writeDeadLetters(client: pg.ClientBase, letters: readonly DeadLetter[]): Promise<void> {
  const statement = deadLetterStatement(letters);
  if (statement !== null) await client.query(statement);
}
