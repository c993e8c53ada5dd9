import { type RawBuilder, sql } from 'kysely';

/** A timestamp column as ISO 8601 text (pg returns Date; Kysely types allow string). */
export function iso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

export function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : iso(value);
}

/**
 * A timestamp column as ISO 8601 text formatted by Postgres (null stays null), for hot list
 * queries: parsing a Date per timestamp per row in the driver, then formatting it again,
 * costs more than the query itself.
 */
export function isoSql(column: string): RawBuilder<string | null> {
  return sql<string | null>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
