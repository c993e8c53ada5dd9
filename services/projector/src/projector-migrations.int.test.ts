import { createLogger, createPgPool, migrateToLatest, pendingMigrations, rollback } from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProjector } from './projector';

let ctx: TestContext;
let pool: pg.Pool;

beforeAll(async () => {
  ctx = await createTestContext();
  pool = createPgPool(ctx.databaseUrl, { max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await ctx?.dispose();
});

it('refuses to start on a database behind the code, naming the migration and the fix', async () => {
  await rollback(ctx.db);
  const [missing] = await pendingMigrations(ctx.db);
  const start = startProjector({
    pool,
    nats: ctx.nats,
    topology: ctx.topology,
    logger: createLogger('projector-test', 'silent'),
    onFatal: (err) => {
      throw err;
    },
  });
  await expect(start).rejects.toThrow(`lacks migration ${missing}: run make migrate`);
  await migrateToLatest(ctx.db);
});
