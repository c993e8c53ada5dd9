import type pg from 'pg';
import type { Decoded } from '../engine/decode';
import { type DeadLetter, foldBatch, keyString, keysToRead } from '../engine/fold';
import { loadRows } from '../engine/row-store';
import { ident, keysIn } from '../engine/sql';
import { type Catalog, checkRow } from '../engine/table-catalog';
import type { AnyMessage, Feed } from '../projections';
import type { Row, RowKey, RowView, TableSpec } from '../projections/projection';
import { copyRows } from './copy-rows';
import { shadowName } from './shadow-tables';

interface Entry {
  readonly key: RowKey;
  readonly row: Row | null;
}

/** A state table during a rebuild: recently used rows in memory, and which keys the shadow holds. */
interface TableState {
  readonly spec: TableSpec;
  /** In use order (oldest first): a JS Map keeps insertion order, re-inserting moves a key to the end. */
  readonly entries: Map<string, Entry>;
  readonly dirty: Set<string>;
  readonly stored: Set<string>;
}

/** What one flush writes; taken synchronously so the next chunk can be folded while it is written. */
export type PendingWrite = (client: pg.ClientBase) => Promise<void>;

/** Rows kept in memory per state table between chunks; sessions that span chunks are rarely read back. */
const CACHE_ROWS = 200_000;

/**
 * Rebuilds one projection into its shadow tables. Folds chunks with the same pure
 * functions as the live projector, keeps the rows it touched in memory (so most reads
 * never reach Postgres), and writes each chunk with COPY: new rows are copied, rows the
 * shadow already holds are deleted and copied again. No per-event round trips.
 */
export class ProjectionRebuild {
  private readonly tables = new Map<string, TableState>();
  private readonly appends = new Map<string, Row[]>();
  readonly deadLetters: DeadLetter[] = [];

  constructor(
    readonly feed: Feed<AnyMessage>,
    private readonly catalog: Catalog,
  ) {
    for (const spec of feed.projection.tables) {
      if (spec.mode === 'state') {
        this.tables.set(spec.name, { spec, entries: new Map(), dirty: new Set(), stored: new Set() });
      } else this.appends.set(spec.name, []);
    }
  }

  get name() {
    return this.feed.projection.name;
  }

  /**
   * Folds a chunk into memory. Rows flushed and since evicted are read back from the shadow,
   * after `written` (the write in flight) has landed, so a read never overtakes a write.
   */
  async apply(
    client: pg.ClientBase,
    chunk: readonly Decoded<AnyMessage>[],
    written: Promise<void>,
  ): Promise<void> {
    const { projection } = this.feed;
    const missing = new Map<string, RowKey[]>();
    for (const [table, keys] of keysToRead(projection, chunk)) {
      const t = this.tables.get(table);
      if (t === undefined) continue;
      const gone = keys.filter((k) => !t.entries.has(keyString(k)) && t.stored.has(keyString(k)));
      if (gone.length > 0) missing.set(table, gone);
    }
    if (missing.size > 0) {
      await written;
      const loaded = await loadRows(client, projection, missing, shadowName);
      for (const [table, keys] of missing) {
        const t = this.tables.get(table)!;
        for (const key of keys) {
          const row = loaded.get(table, key);
          if (row !== undefined) t.entries.set(keyString(key), { key, row });
        }
      }
    }
    const view: RowView = {
      get: (table, key) => this.tables.get(table)?.entries.get(keyString(key))?.row ?? undefined,
    };
    const fold = foldBatch(projection, chunk, view, (t, r) => checkRow(this.catalog, t, r));
    for (const [table, changed] of fold.state) {
      const t = this.tables.get(table)!;
      for (const [k, e] of changed) {
        t.entries.delete(k);
        t.entries.set(k, e);
        t.dirty.add(k);
      }
    }
    for (const [table, rows] of fold.appends) this.appends.get(table)!.push(...rows);
    this.deadLetters.push(...fold.deadLetters);
  }

  /** Takes what the chunks since the last call changed, and trims the rows kept in memory. */
  takeWrites(): PendingWrite {
    const steps: PendingWrite[] = [];
    for (const t of this.tables.values()) {
      const shadow = shadowName(t.spec.name);
      const replaced: RowKey[] = [];
      const rows: Row[] = [];
      for (const k of t.dirty) {
        const e = t.entries.get(k)!;
        if (t.stored.has(k)) replaced.push(e.key);
        if (e.row === null) {
          t.stored.delete(k);
          t.entries.delete(k);
        } else {
          rows.push(e.row);
          t.stored.add(k);
        }
      }
      t.dirty.clear();
      for (const k of t.entries.keys()) {
        if (t.entries.size <= CACHE_ROWS) break;
        t.entries.delete(k);
      }
      const columns = this.catalog.get(t.spec.name)!;
      steps.push(async (client) => {
        if (replaced.length > 0) {
          const where = keysIn(t.spec.key, replaced);
          await client.query(`delete from ${ident(shadow)} where ${where.sql}`, where.params);
        }
        await copyRows(client, shadow, columns, rows);
      });
    }
    for (const [table, pending] of this.appends) {
      if (pending.length === 0) continue;
      const rows = pending.splice(0);
      const spec = this.feed.projection.tables.find((s) => s.name === table)!;
      steps.push((client) => this.writeAppends(client, spec, rows));
    }
    return async (client) => {
      for (const step of steps) await step(client);
    };
  }

  private async writeAppends(client: pg.ClientBase, spec: TableSpec, rows: readonly Row[]): Promise<void> {
    const columns = this.catalog.get(spec.name)!;
    const shadow = shadowName(spec.name);
    if (spec.keyIsUnique) {
      await copyRows(client, shadow, columns, rows);
      return;
    }
    // Keys that may repeat across chunks (a republished output chunk): stage, then keep the first.
    const staging = `${spec.name}_replay_staging`;
    await client.query(`create temp table if not exists ${ident(staging)} (like ${ident(shadow)})`);
    await client.query(`truncate ${ident(staging)}`);
    await copyRows(client, staging, columns, rows);
    await client.query(`insert into ${ident(shadow)} select * from ${ident(staging)} on conflict do nothing`);
  }
}
