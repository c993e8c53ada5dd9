import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyLine } from '../engine/copy-format';
import { ident } from '../engine/sql';
import type { Column } from '../engine/table-catalog';
import type { Row } from '../projections/projection';

/** Text handed to the COPY stream per write; large enough that per-write overhead vanishes. */
const PIECE = 1 << 20;

function* pieces(columns: readonly Column[], rows: readonly Row[]): Generator<string> {
  let piece = '';
  for (const row of rows) {
    piece += copyLine(columns, row);
    if (piece.length >= PIECE) {
      yield piece;
      piece = '';
    }
  }
  if (piece.length > 0) yield piece;
}

/** Bulk-loads rows with `COPY … FROM STDIN` (text format), one round trip per call. */
export async function copyRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly Column[],
  rows: readonly Row[],
): Promise<void> {
  if (rows.length === 0) return;
  const sink = client.query(
    copyFrom(`COPY ${ident(table)} (${columns.map((c) => ident(c.name)).join(', ')}) FROM STDIN`),
  );
  await pipeline(Readable.from(pieces(columns, rows)), sink);
}
