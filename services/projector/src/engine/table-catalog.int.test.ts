import { createPgPool } from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyText, copyRows } from '../replay/copy-rows';
import { rowTuple } from './batch-sql';
import { copyEncoder } from './copy-format';
import { type Column, type ColumnType, checkRow, loadCatalog } from './table-catalog';

let ctx: TestContext;
let pool: pg.Pool;

const SQL_TYPES: Record<ColumnType, string> = {
  text: 'text',
  int4: 'int4',
  int8: 'int8',
  timestamptz: 'timestamptz',
  jsonb: 'jsonb',
  _text: 'text[]',
  bool: 'bool',
};

/** Values the check lets through (Postgres must store each) and values it refuses (Postgres refuses them too). */
const CASES: Record<ColumnType, { readonly accepted: unknown[]; readonly refused: unknown[] }> = {
  text: {
    accepted: ['plain', 'tab\tnew\nline\rslash\\', 'ünïcödé 😀', '\\N', "it's \\' '); drop table x; --"],
    refused: ['a\u0000b'],
  },
  int4: { accepted: [2 ** 31 - 1, -(2 ** 31)], refused: [2 ** 31, 1.5] },
  int8: { accepted: [Number.MAX_SAFE_INTEGER, -1], refused: [2 ** 63, 1.5] },
  timestamptz: {
    accepted: [
      new Date('2026-01-02T03:04:05.678Z'),
      new Date('0000-03-01T00:00:00Z'),
      new Date(Date.UTC(-4713, 10, 24)),
      new Date(Date.UTC(275_760, 8, 13)),
    ],
    refused: [new Date(Date.UTC(-4713, 10, 23))],
  },
  jsonb: {
    accepted: [{ a: 'x\\y\n\t"' }, ['😀'], { s: 'an escaped \\ud800, as text' }, {}, { "o'k": "\\'" }],
    refused: [{ a: 'nul \u0000' }, { a: 'lone \ud800' }, { a: 'lone \udc00 low' }],
  },
  _text: { accepted: [['a', 'b"c\\', 'd,e', '{}', "q'\\'"], []], refused: [['a\u0000']] },
  bool: { accepted: [true, false], refused: [] },
};

beforeAll(async () => {
  ctx = await createTestContext();
  pool = createPgPool(ctx.databaseUrl, { max: 1 });
});

afterAll(async () => {
  await pool?.end();
  await ctx?.dispose();
});

type WriteOne = (
  client: pg.ClientBase,
  table: string,
  columns: readonly Column[],
  value: unknown,
) => Promise<void>;

const copyOne: WriteOne = async (client, table, columns, value) => {
  const text = new CopyText();
  text.add(copyEncoder(columns)({ v: value }));
  await copyRows(client, table, columns, text.take());
};

/** The live projector's way: the value inline in SQL text, under either setting of standard_conforming_strings. */
const literalOne =
  (conforming: 'on' | 'off'): WriteOne =>
  async (client, table, columns, value) => {
    await client.query(`set standard_conforming_strings = ${conforming}`);
    try {
      await client.query(`insert into ${table} (v) values ${rowTuple(columns, { v: value })}`);
    } finally {
      await client.query('reset standard_conforming_strings');
    }
  };

// What the check refuses never reaches SQL text (a literal 1.5 would be rounded into an int4
// column, not refused): only COPY is shown refusing it as well.
describe.each([
  ['COPY text', copyOne, true],
  ['SQL literals', literalOne('on'), false],
  ['SQL literals, standard_conforming_strings off', literalOne('off'), false],
] as const)('the row check and %s, against Postgres', (_, writeOne, refuses) => {
  it.each(Object.keys(CASES) as ColumnType[])(
    '%s: what the check accepts is stored as it was; what it refuses, Postgres refuses',
    async (type) => {
      const table = `checked_${type.replace('_', 'array_')}`;
      const client = await pool.connect();
      try {
        await client.query(`drop table if exists ${table}`);
        await client.query(`create table ${table} (n serial primary key, v ${SQL_TYPES[type]})`);
        const catalog = await loadCatalog(client, [table]);
        const columns = catalog.get(table)!.filter((c) => c.name === 'v');
        const { accepted, refused } = CASES[type];
        for (const value of accepted) {
          expect(() => checkRow(catalog, table, { n: 1, v: value })).not.toThrow();
          await writeOne(client, table, columns, value);
        }
        const { rows } = await client.query<{ v: unknown }>(`select v from ${table} order by n`);
        expect(rows.map((r) => r.v)).toEqual(accepted);
        for (const value of refused) {
          expect(() => checkRow(catalog, table, { n: 1, v: value })).toThrow(`${table}.v `);
          if (refuses) {
            await expect(writeOne(client, table, columns, value)).rejects.toMatchObject({
              code: expect.stringMatching(/^22/),
            });
          }
        }
      } finally {
        client.release();
      }
    },
  );
});
