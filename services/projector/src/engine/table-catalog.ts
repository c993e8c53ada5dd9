import { InfrastructureError, ProjectionError } from '@flywheel/core';
import type pg from 'pg';
import type { Row } from '../projections/projection';

/** Postgres column types the read models use (`udt_name`). */
export const COLUMN_TYPES = ['text', 'int4', 'int8', 'timestamptz', 'jsonb', '_text', 'bool'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
}

/** Columns of each read-model table, in table order, as the migrated database has them. */
export type Catalog = ReadonlyMap<string, readonly Column[]>;

const isColumnType = (t: string): t is ColumnType => (COLUMN_TYPES as readonly string[]).includes(t);

/**
 * Reads the columns of `tables` from the database, so writers follow the migrations
 * instead of a second hand-kept list. A missing table means the database is not migrated.
 */
export async function loadCatalog(client: pg.ClientBase, tables: readonly string[]): Promise<Catalog> {
  const { rows } = await client.query<{
    table_name: string;
    column_name: string;
    udt_name: string;
    is_nullable: 'YES' | 'NO';
  }>(
    `select table_name, column_name, udt_name, is_nullable from information_schema.columns
      where table_schema = current_schema() and table_name = any($1) order by table_name, ordinal_position`,
    [tables],
  );
  const catalog = new Map<string, Column[]>();
  for (const r of rows) {
    if (!isColumnType(r.udt_name)) {
      throw new InfrastructureError(
        `${r.table_name}.${r.column_name} has type ${r.udt_name}, which the projector cannot write`,
      );
    }
    const columns = catalog.get(r.table_name) ?? [];
    columns.push({ name: r.column_name, type: r.udt_name, nullable: r.is_nullable === 'YES' });
    catalog.set(r.table_name, columns);
  }
  const missing = tables.filter((t) => !catalog.has(t));
  if (missing.length > 0) {
    throw new InfrastructureError(`tables ${missing.join(', ')} do not exist: run make migrate`);
  }
  return catalog;
}

const INT4 = 2 ** 31;

function problem(column: Column, value: unknown): string | null {
  if (value === null || value === undefined) {
    return column.nullable ? null : 'is missing';
  }
  switch (column.type) {
    case 'text':
      if (typeof value !== 'string') return 'is not text';
      // Postgres text cannot hold NUL; such a value would fail the whole batch.
      return value.includes('\u0000') ? 'contains a NUL character' : null;
    case 'int4':
      return Number.isInteger(value) && (value as number) >= -INT4 && (value as number) < INT4
        ? null
        : 'is not a 32-bit integer';
    case 'int8':
      return Number.isSafeInteger(value) ? null : 'is not a safe integer';
    case 'timestamptz':
      return value instanceof Date && !Number.isNaN(value.getTime()) ? null : 'is not a valid time';
    case 'jsonb':
      return JSON.stringify(value).includes('\\u0000') ? 'contains a NUL character' : null;
    case '_text':
      return Array.isArray(value) && value.every((v) => typeof v === 'string' && !v.includes('\u0000'))
        ? null
        : 'is not a list of text';
    case 'bool':
      return typeof value === 'boolean' ? null : 'is not a boolean';
  }
}

/**
 * Checks a row against its table's columns before it is written, so that a value Postgres
 * would refuse fails only the message that produced it (dead-lettered), not the batch.
 */
export function checkRow(catalog: Catalog, table: string, row: Row): void {
  const columns = catalog.get(table);
  if (columns === undefined) throw new ProjectionError(`no table ${table}`);
  for (const c of columns) {
    const p = problem(c, row[c.name]);
    if (p !== null) throw new ProjectionError(`${table}.${c.name} ${p}`);
  }
}
