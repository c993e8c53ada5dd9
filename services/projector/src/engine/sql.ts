import type { Column } from './table-catalog';

/** Quotes an identifier for SQL text (names come from our own table specs and catalog). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A row value as a query parameter: JSON text for jsonb (pg would turn arrays into Postgres arrays). */
export function toParam(column: Column, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return column.type === 'jsonb' ? JSON.stringify(value) : value;
}

/** `("a", "b") in (select * from unnest($1::text[], $2::text[]))` for text keys; params are one array per column. */
export function keysIn(
  columns: readonly string[],
  keys: readonly (readonly string[])[],
  firstParam = 1,
): { readonly sql: string; readonly params: unknown[] } {
  const arrays = columns.map((_, i) => `$${firstParam + i}::text[]`).join(', ');
  return {
    sql: `(${columns.map(ident).join(', ')}) in (select * from unnest(${arrays}))`,
    params: columns.map((_, i) => keys.map((k) => k[i])),
  };
}
