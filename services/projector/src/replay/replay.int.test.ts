import { createLogger, createPgPool } from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import { sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentProgress } from './progress-bar';
import { replay } from './replay';

let ctx: TestContext;
let pool: pg.Pool;

beforeAll(async () => {
  ctx = await createTestContext({ streams: false });
  pool = createPgPool(ctx.databaseUrl, { max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await ctx?.dispose();
});

describe('replay without the streams', () => {
  it('says which stream is missing and what to check, and leaves no shadow behind', async () => {
    const run = replay({
      pool,
      nats: ctx.nats,
      topology: ctx.topology,
      logger: createLogger('replay-test', 'silent'),
      progress: silentProgress,
    });
    await expect(run).rejects.toThrow(
      `stream ${ctx.topology.events.stream} does not exist on this NATS server, so there is nothing to replay: check NATS_URL and STREAM_PREFIX`,
    );
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.tables
       where table_schema = current_schema() and table_name like '%\\_shadow'`.execute(ctx.db);
    expect(rows[0]!.n).toBe(0);
  });
});
