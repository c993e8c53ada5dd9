import { type AliasedRawBuilder, sql } from 'kysely';

/** A timestamp column as ISO 8601 text (pg returns Date; Kysely types allow string). */
export function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

export function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : iso(value);
}

/**
 * Selects a timestamp column as ISO 8601 text formatted by Postgres, for hot list queries:
 * parsing a Date per timestamp per row in the driver, then formatting it again, costs more
 * than the query itself.
 */
export function isoText<C extends string>(column: C): AliasedRawBuilder<string, C> {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`.as(
    column,
  );
}

export function isoTextOrNull<C extends string>(column: C): AliasedRawBuilder<string | null, C> {
  return sql<
    string | null
  >`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`.as(column);
}
