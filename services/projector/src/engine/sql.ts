/** Quotes an identifier for SQL text (names come from our own table specs and catalog). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
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
