import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ident } from '../engine/sql';
import type { Column } from '../engine/table-catalog';

/** Bytes per buffer of COPY text; large enough that per-write overhead vanishes. */
const PIECE = 1 << 20;

/**
 * Lines of COPY text waiting to be written, encoded to UTF-8 as they are added. They wait
 * in buffers outside the JavaScript heap, so the garbage collector never copies them.
 */
export class CopyText {
  private readonly pieces: Buffer[] = [];
  private buffer: Buffer | null = null;
  private used = 0;

  get isEmpty(): boolean {
    return this.pieces.length === 0 && this.used === 0;
  }

  add(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const room = line.length * 3;
    if (this.buffer === null || this.used + room > this.buffer.length) {
      this.seal();
      this.buffer = Buffer.allocUnsafe(Math.max(PIECE, room));
    }
    this.used += this.buffer.write(line, this.used);
  }

  /** The text added so far; the accumulator starts empty again. */
  take(): Buffer[] {
    this.seal();
    return this.pieces.splice(0);
  }

  private seal(): void {
    if (this.buffer !== null && this.used > 0) this.pieces.push(this.buffer.subarray(0, this.used));
    this.buffer = null;
    this.used = 0;
  }
}

/** Bulk-loads COPY text (see `CopyText`) with `COPY … FROM STDIN`, one round trip per call. */
export async function copyRows(
  client: pg.ClientBase,
  table: string,
  columns: readonly Column[],
  text: readonly Buffer[],
): Promise<void> {
  if (text.length === 0) return;
  const sink = client.query(
    copyFrom(`COPY ${ident(table)} (${columns.map((c) => ident(c.name)).join(', ')}) FROM STDIN`),
  );
  await pipeline(Readable.from(text), sink);
}
