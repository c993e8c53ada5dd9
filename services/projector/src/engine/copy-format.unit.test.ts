import { describe, expect, it } from 'vitest';
import { copyEncoder, copyJson, copyTime, escapeCopyText } from './copy-format';
import type { Column } from './table-catalog';

const col = (name: string, type: Column['type']): Column => ({ name, type, nullable: true });

describe('copyEncoder', () => {
  it('escapes the characters COPY text gives meaning to, and writes NULL as \\N', () => {
    const columns = [col('a', 'text'), col('b', 'text'), col('c', 'int8'), col('d', 'bool')];
    expect(copyEncoder(columns)({ a: 'tab\there\nnew\\slash\rcr', b: null, c: 42, d: false })).toBe(
      'tab\\there\\nnew\\\\slash\\rcr\t\\N\t42\tf\n',
    );
  });

  it('writes times as ISO 8601, JSON as escaped text and text arrays as quoted literals', () => {
    const columns = [col('t', 'timestamptz'), col('j', 'jsonb'), col('p', '_text')];
    const line = copyEncoder(columns)({
      t: new Date('2026-01-02T03:04:05.678Z'),
      j: { note: 'line\nbreak', q: 'say "hi"' },
      p: ['anthropic', 'has "quote", comma\\'],
    });
    expect(line).toBe(
      '2026-01-02T03:04:05.678Z\t{"note":"line\\\\nbreak","q":"say \\\\"hi\\\\""}\t{"anthropic","has \\\\"quote\\\\", comma\\\\\\\\"}\n',
    );
  });

  it('reads each column by its name, whatever characters the name holds, and writes missing values as NULL', () => {
    const columns = [col('it\'s "odd"\n', 'text'), col('n', 'int4'), col('b', 'bool')];
    expect(copyEncoder(columns)({ 'it\'s "odd"\n': 'x', b: true })).toBe('x\t\\N\tt\n');
  });
});

describe('escapeCopyText', () => {
  it('returns text with nothing to escape as it is, unicode included', () => {
    for (const s of ['', 'plain', 'ünïcödé – 漢字 😀', 'quotes "\' and {braces}', 'ctrl \u0001\u001f']) {
      expect(escapeCopyText(s)).toBe(s);
    }
  });

  it('escapes a special character wherever it is, and every one of them', () => {
    expect(escapeCopyText('\\')).toBe('\\\\');
    expect(escapeCopyText('a\tb')).toBe('a\\tb');
    expect(escapeCopyText('end\n')).toBe('end\\n');
    expect(escapeCopyText('\r\n\t\\😀\\')).toBe('\\r\\n\\t\\\\😀\\\\');
  });
});

describe('copyJson', () => {
  it('doubles the backslashes of JSON escapes, and only those', () => {
    expect(copyJson({ a: 'plain 😀' })).toBe('{"a":"plain 😀"}');
    expect(copyJson({ a: 'tab\tline\nslash\\quote"' })).toBe(
      '{"a":"tab\\\\tline\\\\nslash\\\\\\\\quote\\\\""}',
    );
  });
});

describe('copyTime', () => {
  it('writes ISO 8601 for the years 1 to 9999', () => {
    for (const iso of ['0001-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z']) {
      expect(copyTime(new Date(iso))).toBe(iso);
    }
  });

  it('writes the years Postgres reads outside them: digits without a sign, and BC', () => {
    expect(copyTime(new Date(Date.UTC(10_000, 0, 1, 1, 2, 3, 4)))).toBe('10000-01-01T01:02:03.004Z');
    expect(copyTime(new Date('0000-03-01T00:00:00Z'))).toBe('0001-03-01T00:00:00.000Z BC');
    expect(copyTime(new Date(Date.UTC(-4713, 10, 24)))).toBe('4714-11-24T00:00:00.000Z BC');
  });
});
