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
/** The earliest time Postgres stores (4714-11-24 00:00 BC); JavaScript dates reach further back. */
const EARLIEST_TIME = Date.UTC(-4713, 10, 24);
/** A `\uD800`–`\uDFFF` escape that JSON.stringify wrote for a lone surrogate (not an escaped backslash before `u`). */
const LONE_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f]/;

/** What jsonb refuses in JSON text that `JSON.stringify` wrote, or null. */
export function jsonbProblem(json: string): string | null {
  // Only an escape can hold what jsonb refuses, and every escape starts with a backslash.
  if (!json.includes('\\')) return null;
  if (json.includes('\\u0000')) return 'contains a NUL character';
  return LONE_SURROGATE.test(json) ? 'contains an unpaired surrogate' : null;
}

/** What is wrong with a non-null value for a column of each type, or null. */
const PROBLEMS = {
  text: (value: unknown) => {
    if (typeof value !== 'string') return 'is not text';
    // Postgres text cannot hold NUL; such a value would fail the whole batch.
    return value.includes('\u0000') ? 'contains a NUL character' : null;
  },
  int4: (value: unknown) =>
    Number.isInteger(value) && (value as number) >= -INT4 && (value as number) < INT4
      ? null
      : 'is not a 32-bit integer',
  int8: (value: unknown) => (Number.isSafeInteger(value) ? null : 'is not a safe integer'),
  timestamptz: (value: unknown) =>
    value instanceof Date && value.getTime() >= EARLIEST_TIME ? null : 'is not a valid time',
  jsonb: (value: unknown) => jsonbProblem(JSON.stringify(value)),
  _text: (value: unknown) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string' && !v.includes('\u0000'))
      ? null
      : 'is not a list of text',
  bool: (value: unknown) => (typeof value === 'boolean' ? null : 'is not a boolean'),
} satisfies Record<ColumnType, (value: unknown) => string | null>;

/** What is wrong with a row of one table (`table.column problem`), or null when Postgres will take it. */
export type RowCheck = (row: Row) => string | null;

/**
 * Compiles the check of one table's rows. Generated code, like the COPY encoder: it runs
 * for every row a projection writes, and reads each column by a constant name. Names are
 * embedded as JSON string literals, so any name is safe.
 */
export function rowCheck(table: string, columns: readonly Column[]): RowCheck {
  const body = columns
    .map((c) => {
      const name = JSON.stringify(c.name);
      const missing = c.nullable ? '' : `return ${JSON.stringify(`${table}.${c.name} is missing`)};`;
      return `v = row[${name}];
        if (v === null || v === undefined) { ${missing} }
        else if ((p = check.${c.type}(v)) !== null) return ${JSON.stringify(`${table}.${c.name} `)} + p;`;
    })
    .join('\n');
  const compile = new Function('check', `return (row) => { let v, p; ${body} return null; };`);
  return compile(PROBLEMS) as RowCheck;
}

const checks = new WeakMap<Catalog, Map<string, RowCheck>>();

/**
 * Checks a row against its table's columns before it is written, so that a value Postgres
 * would refuse fails only the message that produced it (dead-lettered), not the batch.
 * `derived` names the table's derived column (`TableSpec.derived`), computed at write time.
 */
export function checkRow(catalog: Catalog, table: string, row: Row, derived?: string): void {
  let byTable = checks.get(catalog);
  if (byTable === undefined) {
    byTable = new Map();
    checks.set(catalog, byTable);
  }
  const key = derived === undefined ? table : `${table}\u0000${derived}`;
  let check = byTable.get(key);
  if (check === undefined) {
    const columns = catalog.get(table);
    if (columns === undefined) throw new ProjectionError(`no table ${table}`);
    check = rowCheck(
      table,
      columns.filter((c) => c.name !== derived),
    );
    byTable.set(key, check);
  }
  const problem = check(row);
  if (problem !== null) throw new ProjectionError(problem);
}
