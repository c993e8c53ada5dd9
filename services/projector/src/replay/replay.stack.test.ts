import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createLogger, createPgPool, PROJECTIONS } from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import { sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Projector, startProjector } from '../projector';
import {
  appendWorkload,
  generateWorkload,
  publishOutput,
  tableChecksums,
  waitForProjections,
} from '../testing';
import { silentProgress } from './progress-bar';
import { replay } from './replay';

const REPLAY = fileURLToPath(new URL('../replay.ts', import.meta.url));
const TABLES = Object.values(PROJECTIONS).flatMap((p) => p.tables);
const logger = createLogger('replay-test', 'silent');

let ctx: TestContext;
let pool: pg.Pool;
let projector: Projector | null = null;

const shadows = async () =>
  (
    await sql<{ table_name: string }>`
      select table_name from information_schema.tables
       where table_schema = current_schema() and table_name like '%\\_shadow' order by 1`.execute(ctx.db)
  ).rows.map((r) => r.table_name);

function runReplay(env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', REPLAY], {
    env: { ...process.env, ...ctx.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

beforeAll(async () => {
  ctx = await createTestContext();
  pool = createPgPool(ctx.databaseUrl, { max: 6 });
  projector = await startProjector({
    pool,
    nats: ctx.nats,
    topology: ctx.topology,
    logger,
    onFatal: (e) => {
      throw e;
    },
  });
  await appendWorkload(ctx.eventStore, generateWorkload(8000, { seed: 3 }), 16);
  await publishOutput(
    ctx.nats,
    ctx.topology,
    'ws0',
    'wses1',
    Array.from({ length: 50 }, (_, i) => ({
      seq: i + 1,
      stream: 'stdout' as const,
      text: `${i}\n`,
      at: '2026-01-01T00:00:00.000Z',
    })),
  );
  await waitForProjections(ctx);
  await projector.stop();
  projector = null;
});

afterAll(async () => {
  await projector?.stop();
  await pool?.end();
  await ctx?.dispose();
});

describe('replay', () => {
  it('killed half-way leaves the live tables untouched, and the next run starts cleanly', {
    timeout: 120_000,
  }, async () => {
    const before = await tableChecksums(ctx.db, TABLES);
    const child = runReplay();
    // Kill it once it is writing shadows.
    for (let i = 0; i < 600 && !(await shadows()).includes('event_index_shadow'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await shadows()).toContain('event_index_shadow');
    expect(await tableChecksums(ctx.db, TABLES)).toEqual(before);

    const result = await replay({
      pool,
      nats: ctx.nats,
      topology: ctx.topology,
      logger,
      progress: silentProgress,
    });
    expect(result.projections.map((p) => p.deadLetters)).toEqual([0, 0, 0, 0, 0]);
    expect(await shadows()).toEqual([]);
    expect(await tableChecksums(ctx.db, TABLES)).toEqual(before);
  });

  it('builds the same models when rows outlive memory and are read back from the shadows', {
    timeout: 120_000,
  }, async () => {
    const deps = { pool, nats: ctx.nats, topology: ctx.topology, logger, progress: silentProgress };
    await replay(deps);
    const roomy = await tableChecksums(ctx.db, TABLES);
    // A write every 50 messages and 5 rows kept per table: most rows are read back.
    const result = await replay({ ...deps, limits: { flushMessages: 50, cacheRows: 5 } });
    expect(result.projections.map((p) => p.deadLetters)).toEqual([0, 0, 0, 0, 0]);
    expect(await tableChecksums(ctx.db, TABLES)).toEqual(roomy);
  });

  it('rebuilds one projection with PROJECTION=name and leaves the others alone', {
    timeout: 120_000,
  }, async () => {
    await sql`update sessions set model = 'damaged'`.execute(ctx.db);
    await sql`update accounts set label = 'damaged'`.execute(ctx.db);
    const child = runReplay({ PROJECTION: 'sessions' });
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    expect(
      Number(
        (await sql<{ n: number }>`select count(*) as n from sessions where model = 'damaged'`.execute(ctx.db))
          .rows[0]!.n,
      ),
    ).toBe(0);
    expect(
      Number(
        (
          await sql<{ n: number }>`select count(*) as n from accounts where label <> 'damaged'`.execute(
            ctx.db,
          )
        ).rows[0]!.n,
      ),
    ).toBe(0);
  });

  it('refuses an unknown projection name, saying which names exist', async () => {
    const child = runReplay({ PROJECTION: 'sesions' });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    expect(await new Promise((r) => child.once('exit', r))).toBe(1);
    expect(stderr).toMatch(/unknown projection sesions; expected one or more of sessions, accounts/);
  });
});
