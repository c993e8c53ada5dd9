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
  dirty: boolean;
}

/** A state table during a rebuild: recently used rows in memory, and which keys the shadow holds. */
interface TableState {
  readonly spec: TableSpec;
  /** In use order (oldest first): a JS Map keeps insertion order, re-inserting moves a key to the end. */
  readonly entries: Map<string, Entry>;
  readonly stored: Set<string>;
}

/** Rows kept in memory per state table between chunks; sessions that span chunks are rarely read back. */
const CACHE_ROWS = 200_000;

/**
 * Rebuilds one projection into its shadow tables. Folds chunks with the same pure
 * functions as the live projector, keeps the rows it touched in memory (so most reads
 * never reach Postgres), and flushes each chunk with COPY: new rows are copied, rows the
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
      if (spec.mode === 'state') this.tables.set(spec.name, { spec, entries: new Map(), stored: new Set() });
      else this.appends.set(spec.name, []);
    }
  }

  get name() {
    return this.feed.projection.name;
  }

  /** Folds a chunk of decoded messages into memory, reading back only rows flushed and evicted earlier. */
  async apply(client: pg.ClientBase, chunk: readonly Decoded<AnyMessage>[]): Promise<void> {
    const { projection } = this.feed;
    const wanted = keysToRead(projection, chunk);
    const missing = new Map<string, RowKey[]>();
    for (const [table, keys] of wanted) {
      const t = this.tables.get(table);
      if (t === undefined) continue;
      const gone = keys.filter((k) => !t.entries.has(keyString(k)) && t.stored.has(keyString(k)));
      if (gone.length > 0) missing.set(table, gone);
    }
    if (missing.size > 0) {
      const loaded = await loadRows(client, projection, missing, shadowName);
      for (const [table, keys] of missing) {
        const t = this.tables.get(table)!;
        for (const key of keys) {
          const row = loaded.get(table, key);
          if (row !== undefined) t.entries.set(keyString(key), { key, row, dirty: false });
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
        t.entries.set(k, { key: e.key, row: e.row, dirty: true });
      }
    }
    for (const [table, rows] of fold.appends) this.appends.get(table)!.push(...rows);
    this.deadLetters.push(...fold.deadLetters);
  }

  /** Writes what the last chunks changed to the shadow tables, then trims the in-memory rows. */
  async flush(client: pg.ClientBase): Promise<void> {
    for (const t of this.tables.values()) {
      const shadow = shadowName(t.spec.name);
      const replaced: RowKey[] = [];
      const rows: Row[] = [];
      for (const [k, e] of t.entries) {
        if (!e.dirty) continue;
        if (t.stored.has(k)) replaced.push(e.key);
        if (e.row !== null) rows.push(e.row);
      }
      if (replaced.length > 0) {
        const where = keysIn(t.spec.key, replaced);
        await client.query(`delete from ${ident(shadow)} where ${where.sql}`, where.params);
      }
      await copyRows(client, shadow, this.catalog.get(t.spec.name)!, rows);
      for (const [k, e] of t.entries) {
        if (!e.dirty) continue;
        e.dirty = false;
        if (e.row === null) {
          t.stored.delete(k);
          t.entries.delete(k);
        } else t.stored.add(k);
      }
      for (const k of t.entries.keys()) {
        if (t.entries.size <= CACHE_ROWS) break;
        t.entries.delete(k);
      }
    }
    for (const [table, rows] of this.appends) {
      if (rows.length === 0) continue;
      const spec = this.feed.projection.tables.find((s) => s.name === table)!;
      await this.writeAppends(client, spec, rows);
      rows.length = 0;
    }
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
