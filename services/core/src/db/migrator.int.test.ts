import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sessionItemJson } from '../read-models/session-item';
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

it('gives sessions projected before 0005 the list item the projector writes', async () => {
  await migrateToLatest(ctx.db);
  await rollback(ctx.db);
  await rollback(ctx.db);
  await rollback(ctx.db);
  expect(await pendingMigrations(ctx.db)).toEqual([
    '0005-session-items',
    '0006-checkpoint-advance',
    '0007-expect-created',
  ]);
  const at = new Date('2026-03-01T12:00:00.123Z');
  const row = {
    workspace: 'w',
    id: 's1',
    status: 'Queued',
    provider: 'anthropic',
    model: null,
    prompt: 'p "quoted"\tand tabbed',
    prompt_preview: 'p "quoted"\tand tabbed',
    requested_account_id: null,
    account_id: null,
    agent_id: null,
    attempts: 1,
    max_attempts: 3,
    failed_account_ids: ['a0'],
    queue_reason: 'every account cooling',
    queue_eta: new Date('2026-03-01T12:05:00.000Z'),
    reason: null,
    metadata: { team: 'core' },
    output_chunks: null,
    input_tokens: null,
    output_tokens: null,
    created_at: at,
    queued_at: at,
    assigned_at: null,
    started_at: null,
    finished_at: null,
    updated_at: at,
    created_seq: 5,
    last_seq: 9,
  };
  await sql`insert into sessions ${sql.raw(`(${Object.keys(row).join(', ')})`)} values (${sql.join(
    Object.values(row).map((v) =>
      Array.isArray(v) || (v !== null && v.constructor === Object) ? JSON.stringify(v) : v,
    ),
  )})`.execute(ctx.db);
  await migrateToLatest(ctx.db);
  const { item } = await ctx.db.selectFrom('sessions').select('item').executeTakeFirstOrThrow();
  expect(JSON.parse(item)).toEqual(JSON.parse(sessionItemJson(row)));
  await ctx.db.deleteFrom('sessions').execute();
});
