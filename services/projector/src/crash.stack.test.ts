import { type ChildProcess, spawn } from 'node:child_process';
import {
  createLogger,
  createPgPool,
  PROJECTION_NAMES,
  PROJECTIONS,
  type ProjectionName,
} from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentProgress } from './replay/progress-bar';
import { replay } from './replay/replay';
import {
  appendWorkload,
  createPacer,
  generateWorkload,
  type ProjectionProbe,
  pacedEventStore,
  probeProjections,
  publishOutput,
  readCheckpoints,
  tableChecksums,
  waitForProjections,
  waitForSessionsGone,
} from './testing';

let ctx: TestContext;
let pool: pg.Pool;
let child: ChildProcess | null = null;
/** What each projector wrote to stdout: pino lines at the context's LOG_LEVEL (warn). */
const logs: string[][] = [];
const TABLES = Object.values(PROJECTIONS).flatMap((p) => p.tables);
/** The projector's pool names its Postgres sessions so (`main.ts`). */
const PROJECTOR_APP = 'flywheel-projector';
const KILLS = 5;
/** Commits per second up to the backlog and while a projector projects (it keeps up with that). */
const PACE = 1500;
/** Commits appended ahead of a projector while it starts up; then appends slow to TRICKLE. */
const BACKLOG = 2000;
/** Commits per second while a projector starts up with its backlog appended: appends go on, slowly. */
const TRICKLE = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startProjector(): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', 'services/projector/src/main.ts'], {
    env: { ...process.env, ...ctx.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const out: string[] = [];
  logs.push(out);
  c.stdout?.on('data', (d: Buffer) => out.push(String(d)));
  return c;
}

/** Each line the projectors logged, as `projector <n>: <projection>: <msg>` (one cut short by a kill is left out). */
function logged(): string[] {
  return logs.flatMap((out, i) =>
    out
      .join('')
      .split('\n')
      .flatMap((line) => {
        try {
          const l = JSON.parse(line) as { msg?: string; projection?: string };
          return [`projector ${i + 1}: ${l.projection ?? '-'}: ${l.msg}`];
        } catch {
          return [];
        }
      }),
  );
}

function kill9(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

/** What one kill hit: the checkpoints when that projector was spawned, and everything once it was dead. */
interface Kill {
  readonly spawned: Record<ProjectionName, number>;
  readonly probe: Record<ProjectionName, ProjectionProbe | null>;
  readonly appendsRunning: boolean;
  /** From spawn until every projection had committed a batch of its own, and from there to the kill. */
  readonly startMs: number;
  readonly workedMs: number;
  /** `EVENTS` head minus the `sessions` and `event-index` checkpoints, seen just before the random wait. */
  readonly lag: readonly [number, number];
}

/** Polls `check` every 10 ms until it answers, for at most a minute or while `c` lives. */
async function until<T>(c: ChildProcess, what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (c.exitCode !== null || c.signalCode !== null) throw new Error(`projector exited before ${what}`);
    const r = await check();
    if (r !== undefined) return r;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function describeKills(kills: readonly Kill[]): string {
  return kills
    .map((k, i) =>
      [
        `kill ${i + 1}: started in ${k.startMs} ms, killed ${k.workedMs} ms later, lag ${k.lag.join('/')}, appends running ${k.appendsRunning}`,
        ...PROJECTION_NAMES.map((n) => {
          const p = k.probe[n];
          return p === null
            ? `  ${n}: no consumer`
            : `  ${n}: spawned at ${k.spawned[n]}, checkpoint ${p.checkpoint}, head ${p.head}, ack floor ${p.ackFloor}, delivered ${p.delivered}, pending ${p.ackPending}, start ${p.startSeq}`;
        }),
      ].join('\n'),
    )
    .join('\n');
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

it('survives kill -9 five times mid-projection while 20,000 events arrive: every model equals a fresh replay', {
  timeout: 180_000,
}, async ({ annotate }) => {
  const TOTAL = 20_000;
  const commits = [...generateWorkload(TOTAL, { seed: 7, inFlight: 40 })];
  const events = commits.reduce((n, c) => n + c.events.length, 0);
  expect(events).toBeGreaterThanOrEqual(TOTAL);

  // Output chunks for some sessions, published alongside the events and spread the same way.
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

  // Each projector starts with a backlog: while it starts up, the appender runs ahead of
  // it by at most BACKLOG commits, then trickles (so that work is left for every kill,
  // however slowly the projector starts); once it projects, appends run at PACE until
  // the kill. After the last kill the rest is appended as fast as it goes.
  let appended = 0;
  let phase: 'starting' | 'working' | 'done' = 'starting';
  let startCap = BACKLOG;
  const pace = createPacer(() => {
    if (phase === 'done') return Infinity;
    return phase === 'working' || appended < startCap ? PACE : TRICKLE;
  });
  const appending = appendWorkload(pacedEventStore(ctx.eventStore, pace), commits, 16, (n) => {
    appended = n;
  });
  const output = (async () => {
    for (const [i, p] of published.entries()) {
      while (appended < (i * commits.length) / published.length) await sleep(2);
      await publishOutput(ctx.nats, ctx.topology, p.ref.workspace, p.ref.id, [p.chunk]);
    }
  })();

  const kills: Kill[] = [];
  let spawned = await readCheckpoints(ctx.db);
  for (let k = 0; k < KILLS; k++) {
    phase = 'starting';
    startCap = appended + BACKLOG;
    const victim = startProjector();
    child = victim;
    const t0 = performance.now();
    // Past start-up: every projection has committed batches of its own.
    await until(victim, 'every projection to commit', async () => {
      const now = await readCheckpoints(ctx.db);
      return PROJECTION_NAMES.every((n) => now[n] > spawned[n]) ? true : undefined;
    });
    phase = 'working';
    const t1 = performance.now();
    // With events still to apply.
    const lag = await until(victim, 'events to apply', async () => {
      const now = await readCheckpoints(ctx.db);
      const head = (await ctx.nats.jsm.streams.info(ctx.topology.events.stream)).state.last_seq;
      const lag = [head - now.sessions, head - now['event-index']] as const;
      return lag[0] > 0 && lag[1] > 0 ? lag : undefined;
    });
    await sleep(Math.random() * 150);
    const appendsRunning = appended < commits.length;
    const t2 = performance.now();
    await kill9(victim);
    // Until its Postgres sessions are gone, a commit the dead process sent may still land.
    await waitForSessionsGone(ctx.db, PROJECTOR_APP);
    const probe = await probeProjections(ctx);
    kills.push({
      spawned,
      probe,
      appendsRunning,
      startMs: Math.round(t1 - t0),
      workedMs: Math.round(t2 - t1),
      lag,
    });
    spawned = Object.fromEntries(PROJECTION_NAMES.map((n) => [n, probe[n]?.checkpoint ?? 0])) as Record<
      ProjectionName,
      number
    >;
  }
  phase = 'done';
  child = startProjector();
  await appending;
  await output;
  const report = describeKills(kills);
  // The evidence, shown by `vitest --reporter=verbose` and with any failure.
  await annotate(report, 'kills');
  // Every kill hit a projector at work: each projection had committed batches of its own
  // since that projector was spawned, the appends were still running, and the events were
  // not all applied.
  for (const [i, k] of kills.entries()) {
    const at = `kill ${i + 1}\n${report}`;
    expect(k.appendsRunning, at).toBe(true);
    for (const n of PROJECTION_NAMES) {
      expect(k.probe[n], `${n}, ${at}`).not.toBeNull();
      expect(k.probe[n]!.checkpoint, `${n}, ${at}`).toBeGreaterThan(k.spawned[n]);
      if (i > 0)
        expect(k.probe[n]!.checkpoint, `${n}, ${at}`).toBeGreaterThan(kills[i - 1]!.probe[n]!.checkpoint);
    }
    expect(k.probe.sessions!.head, at).toBeGreaterThan(k.probe.sessions!.checkpoint);
    expect(k.probe['event-index']!.head, at).toBeGreaterThan(k.probe['event-index']!.checkpoint);
  }
  // Kills fell inside the windows that start-up must repair: a checkpoint committed and not
  // yet acked (those messages must not be applied twice), and messages delivered and not
  // committed (they must be delivered again).
  const committedUnacked = kills.filter((k) =>
    PROJECTION_NAMES.some((n) => k.probe[n]!.checkpoint > k.probe[n]!.ackFloor),
  );
  const deliveredUncommitted = kills.filter((k) =>
    PROJECTION_NAMES.some((n) => k.probe[n]!.delivered > k.probe[n]!.checkpoint),
  );
  expect(committedUnacked.length, report).toBeGreaterThanOrEqual(1);
  expect(deliveredUncommitted.length, report).toBeGreaterThanOrEqual(1);

  await waitForProjections(ctx, undefined, 120_000);
  // Each start-up recreated every consumer a kill left unacked or off its checkpoint, to
  // deliver from the checkpoint + 1: not from the ack floor, nor after the last delivery.
  // The runner also recreates it when it meets a gap in delivery or a checkpoint gone back;
  // neither may happen here, or a start-up that kept a stale consumer would go unnoticed.
  const lines = logged();
  await annotate(lines.join('\n') || 'nothing', 'projector warnings');
  expect(lines.filter((l) => /gap in delivery|checkpoint went back/.test(l))).toEqual([]);
  const final = await probeProjections(ctx);
  const starts = [...kills.slice(1).map((k) => k.probe), final];
  for (const [i, after] of starts.entries()) {
    for (const n of PROJECTION_NAMES) {
      const before = kills[i]!.probe[n]!;
      if (before.ackPending === 0 && before.ackFloor === before.checkpoint) continue;
      expect(after[n]!.created, `${n}, start ${i + 2}\n${report}`).not.toBe(before.created);
      expect(after[n]!.startSeq, `${n}, start ${i + 2}\n${report}`).toBe(before.checkpoint + 1);
    }
  }

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
