import { type ChildProcess, spawn } from 'node:child_process';
import { createLogger, createPgPool, PROJECTIONS } from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentProgress } from './replay/progress-bar';
import { replay } from './replay/replay';
import {
  appendWorkload,
  generateWorkload,
  publishOutput,
  tableChecksums,
  waitForProjections,
} from './testing';

let ctx: TestContext;
let pool: pg.Pool;
let child: ChildProcess | null = null;
const TABLES = Object.values(PROJECTIONS).flatMap((p) => p.tables);

function startProjector(): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', 'services/projector/src/main.ts'], {
    env: { ...process.env, ...ctx.env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return c;
}

function kill9(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

beforeAll(async () => {
  ctx = await createTestContext();
  pool = createPgPool(ctx.databaseUrl, { max: 4 });
});

afterAll(async () => {
  if (child !== null) await kill9(child);
  await pool?.end();
  await ctx?.dispose();
});

it('survives kill -9 five times while 20,000 events arrive: every model equals a fresh replay', {
  timeout: 240_000,
}, async () => {
  const TOTAL = 20_000;
  const commits = [...generateWorkload(TOTAL, { seed: 7, inFlight: 40 })];
  const events = commits.reduce((n, c) => n + c.events.length, 0);
  expect(events).toBeGreaterThanOrEqual(TOTAL);
  // Five kills at random moments spread over the run.
  const killAt = Array.from({ length: 5 }, (_, i) =>
    Math.floor(((i + 0.2 + Math.random() * 0.6) / 5) * commits.length),
  ).sort((a, b) => a - b);
  let kills = 0;
  let restarting: Promise<void> = Promise.resolve();
  child = startProjector();

  // Output chunks for some sessions, published alongside the events.
  const sessions = [...new Set(commits.filter((c) => c.ref.type === 'session').map((c) => c.ref))].slice(
    0,
    60,
  );
  const published = sessions.flatMap((ref) =>
    Array.from({ length: 25 }, (_, i) => ({
      ref,
      chunk: {
        seq: i + 1,
        stream: 'stdout' as const,
        text: `${ref.id} line ${i}\n`,
        at: '2026-01-01T00:00:00.000Z',
      },
    })),
  );
  const output = (async () => {
    for (const p of published)
      await publishOutput(ctx.nats, ctx.topology, p.ref.workspace, p.ref.id, [p.chunk]);
  })();

  await appendWorkload(ctx.eventStore, commits, 16, (n) => {
    if (kills < killAt.length && n >= killAt[kills]!) {
      kills++;
      const victim = child!;
      restarting = restarting.then(async () => {
        await kill9(victim);
        child = startProjector();
      });
    }
  });
  await output;
  await restarting;
  expect(kills).toBe(5);

  await waitForProjections(ctx, undefined, 120_000);
  const live = await tableChecksums(ctx.db, TABLES);
  expect(live.sessions!.rows).toBeGreaterThan(2000);
  expect(live.session_output!.rows).toBe(published.length);
  const chunks = await ctx.db.selectFrom('session_output').select(['session_id', 'seq', 'text']).execute();
  const seen = new Set(chunks.map((c) => `${c.session_id}#${c.seq}`));
  expect(seen.size).toBe(published.length);
  for (const p of published) expect(seen.has(`${p.ref.id}#${p.chunk.seq}`)).toBe(true);
  expect(await ctx.db.selectFrom('dead_letters').selectAll().execute()).toEqual([]);

  await kill9(child);
  child = null;
  await replay({
    pool,
    nats: ctx.nats,
    topology: ctx.topology,
    logger: createLogger('replay-test', 'silent'),
    progress: silentProgress,
  });
  expect(await tableChecksums(ctx.db, TABLES)).toEqual(live);
});
