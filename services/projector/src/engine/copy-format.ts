import type { Row } from '../projections/projection';
import type { Column } from './table-catalog';

// COPY text format: backslash, newline, carriage return and tab are escaped; NULL is \N.
const SPECIAL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const escapeText = (s: string) => s.replace(SPECIAL, (c) => ESCAPES[c]!);

/** A Postgres array literal of text: every element quoted, quotes and backslashes escaped. */
function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

function field(column: Column, value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  switch (column.type) {
    case 'text':
      return escapeText(value as string);
    case 'int4':
    case 'int8':
      return String(value);
    case 'timestamptz':
      return (value as Date).toISOString();
    case 'jsonb':
      return escapeText(JSON.stringify(value));
    case '_text':
      return escapeText(textArray(value as string[]));
    case 'bool':
      return value ? 't' : 'f';
  }
}

/** One row as a line of `COPY … FROM STDIN` text, columns in catalog order. */
export function copyLine(columns: readonly Column[], row: Row): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    line += (i === 0 ? '' : '\t') + field(c, row[c.name]);
  }
  return `${line}\n`;
}
