import type pg from 'pg';
import type { Projection, Row, RowKey, RowView } from '../projections/projection';
import { deadLetterStatement, readStatements, type TableName, viewOf } from './batch-sql';
import type { DeadLetter } from './fold';

/** Reads the rows a replay chunk needs from `name`d tables (the shadows), in one query. */
export async function loadRows(
  client: pg.ClientBase,
  projection: Projection<unknown>,
  keys: ReadonlyMap<string, readonly RowKey[]>,
  name: TableName,
): Promise<RowView> {
  const reads = readStatements(projection, keys, name);
  if (reads.sql.length === 0) return { get: () => undefined };
  return viewOf(reads, await client.query<Row>(reads.sql.join(';\n')));
}

/** Records dead letters; a message dead-lettered again (redelivery, replay) keeps one row with the latest error. */
export async function writeDeadLetters(client: pg.ClientBase, letters: readonly DeadLetter[]): Promise<void> {
  const statement = deadLetterStatement(letters);
  if (statement !== null) await client.query(statement);
}
