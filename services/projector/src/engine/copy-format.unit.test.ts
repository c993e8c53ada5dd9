import { describe, expect, it } from 'vitest';
import { copyLine } from './copy-format';
import type { Column } from './table-catalog';

const col = (name: string, type: Column['type']): Column => ({ name, type, nullable: true });

describe('copyLine', () => {
  it('escapes the characters COPY text gives meaning to, and writes NULL as \\N', () => {
    const columns = [col('a', 'text'), col('b', 'text'), col('c', 'int8'), col('d', 'bool')];
    expect(copyLine(columns, { a: 'tab\there\nnew\\slash\rcr', b: null, c: 42, d: false })).toBe(
      'tab\\there\\nnew\\\\slash\\rcr\t\\N\t42\tf\n',
    );
  });

  it('writes times as ISO 8601, JSON as escaped text and text arrays as quoted literals', () => {
    const columns = [col('t', 'timestamptz'), col('j', 'jsonb'), col('p', '_text')];
    const line = copyLine(columns, {
      t: new Date('2026-01-02T03:04:05.678Z'),
      j: { note: 'line\nbreak', q: 'say "hi"' },
      p: ['anthropic', 'has "quote", comma\\'],
    });
    expect(line).toBe(
      '2026-01-02T03:04:05.678Z\t{"note":"line\\\\nbreak","q":"say \\\\"hi\\\\""}\t{"anthropic","has \\\\"quote\\\\", comma\\\\\\\\"}\n',
    );
  });
});
