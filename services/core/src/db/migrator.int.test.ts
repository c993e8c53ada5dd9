import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../testing';
import { MIGRATIONS } from './migrations';
import { migrateToLatest, pendingMigrations, rollback } from './migrator';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ migrate: false, streams: false });
});
afterAll(async () => {
  await ctx?.dispose();
});

async function tables(): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_name not like 'schema_migrations%'
    order by 1`.execute(ctx.db);
  return rows.map((r) => r.name);
}

it('migrates up, all the way down, and up again on a real database', async () => {
  const all = Object.keys(MIGRATIONS);
  expect(await pendingMigrations(ctx.db)).toEqual(all);

  await migrateToLatest(ctx.db);
  const upTables = await tables();
  expect(upTables).toEqual(expect.arrayContaining(['projection_checkpoints', 'dead_letters']));
  expect(await pendingMigrations(ctx.db)).toEqual([]);

  await rollback(ctx.db, true);
  expect(await tables()).toEqual([]);
  expect(await pendingMigrations(ctx.db)).toEqual(all);

  await migrateToLatest(ctx.db);
  expect(await tables()).toEqual(upTables);
  // The schema works after the round trip, not just exists.
  await ctx.db.insertInto('projection_checkpoints').values({ name: 'p', last_seq: 7 }).execute();
  const row = await ctx.db.selectFrom('projection_checkpoints').selectAll().executeTakeFirstOrThrow();
  expect(row.last_seq).toBe(7);
});

it('rolls back one migration at a time', async () => {
  const all = Object.keys(MIGRATIONS);
  await migrateToLatest(ctx.db);
  await rollback(ctx.db);
  expect(await pendingMigrations(ctx.db)).toEqual([all.at(-1)]);
  await migrateToLatest(ctx.db);
  expect(await pendingMigrations(ctx.db)).toEqual([]);
});
