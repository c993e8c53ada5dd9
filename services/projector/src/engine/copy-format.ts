import { isoString } from '@flywheel/core';
import type { Row } from '../projections/projection';
import type { Column, ColumnType } from './table-catalog';

// COPY text format: backslash, newline, carriage return and tab are escaped; NULL is \N.
const SPECIAL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const HAS_SPECIAL = /[\\\n\r\t]/;

/** Escapes text for COPY's text format. Most values have nothing to escape: tested (native regex code), returned as they are. */
export function escapeCopyText(s: string): string {
  return HAS_SPECIAL.test(s) ? s.replace(SPECIAL, (m) => ESCAPES[m]!) : s;
}

/**
 * JSON as COPY text. `JSON.stringify` already escapes every control character inside
 * strings, so a backslash is the only character COPY gives meaning to that can occur.
 */
export function copyJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/**
 * A time as COPY text: ISO 8601 for the years 1..9999. Outside them ISO 8601 writes a
 * sign or the year 0000, which Postgres refuses; it reads the year's digits and `BC`.
 */
export function copyTime(date: Date): string {
  const iso = isoString(date);
  const c = iso.charCodeAt(0);
  // '+', '-', or a year starting with 0 (only 0000 needs rewriting).
  if (c !== 43 && c !== 45 && (c !== 48 || !iso.startsWith('0000-'))) return iso;
  const year = date.getUTCFullYear();
  const rest = iso.slice(iso.indexOf('-', 1));
  return year > 0 ? `${year}${rest}` : `${String(1 - year).padStart(4, '0')}${rest} BC`;
}

/** A Postgres array literal of text: every element quoted, quotes and backslashes escaped. */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/** How each column type becomes COPY text; `v` is never null here. */
const FORMATS: Record<ColumnType, string> = {
  text: 'f.text(v)',
  int4: "'' + v",
  int8: "'' + v",
  timestamptz: 'f.time(v)',
  jsonb: 'f.json(v)',
  _text: 'f.text(f.array(v))',
  bool: "v ? 't' : 'f'",
};

const helpers = { text: escapeCopyText, json: copyJson, array: textArray, time: copyTime };

/** Turns a row into one line of `COPY … FROM STDIN` text, columns in catalog order. */
export type CopyEncoder = (row: Row) => string;

/**
 * Compiles the encoder of one table's rows. Generated code, not a loop over the columns:
 * replay encodes every row it writes, and a property read by a constant name (one per
 * column) is many times cheaper than reading `row[column.name]` for changing names.
 * Column names are embedded as JSON string literals, so any name is safe.
 */
export function copyEncoder(columns: readonly Column[]): CopyEncoder {
  const parts = columns.map((c) => {
    const get = `row[${JSON.stringify(c.name)}]`;
    return `((v = ${get}) === null || v === undefined ? '\\\\N' : ${FORMATS[c.type]})`;
  });
  const body = `let v; return ${parts.join(" + '\\t' + ")} + '\\n';`;
  const encode = new Function('f', `return (row) => { ${body} };`) as (f: typeof helpers) => CopyEncoder;
  return encode(helpers);
}
