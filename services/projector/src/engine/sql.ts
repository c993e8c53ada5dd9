/** Quotes an identifier for SQL text (names come from our own table specs and catalog). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Text as an SQL string literal, right whatever `standard_conforming_strings` says (as pg's
 * `escapeLiteral`). NUL would end the query text early; Postgres text cannot hold it anyway.
 */
export function quote(s: string): string {
  if (s.includes('\u0000')) throw new Error('an SQL literal cannot hold a NUL character');
  const body = s.includes("'") ? s.replaceAll("'", "''") : s;
  return s.includes('\\') ? ` E'${body.replaceAll('\\', '\\\\')}'` : `'${body}'`;
}

/** `("a", "b") in (values ('x', 'y'), …)`: rows whose key columns are one of `keys` (text). */
export function keysIn(columns: readonly string[], keys: readonly (readonly string[])[]): string {
  const tuples = keys.map((k) => `(${k.map(quote).join(', ')})`).join(', ');
  return `(${columns.map(ident).join(', ')}) in (values ${tuples})`;
}
