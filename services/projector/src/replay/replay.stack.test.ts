import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  createLogger,
  createPgPool,
  PROJECTION_NAMES,
  PROJECTIONS,
  projectionLockName,
} from '@flywheel/core';
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
import { shadowName } from './shadow-tables';

const REPLAY = fileURLToPath(new URL('../replay.ts', import.meta.url));
const TABLES = Object.values(PROJECTIONS).flatMap((p) => p.tables);
const SHADOWS = TABLES.map(shadowName);
const logger = createLogger('replay-test', 'silent');

type LiveState = Awaited<ReturnType<typeof liveState>>;

let ctx: TestContext;
let pool: pg.Pool;
let projector: Projector | null = null;
/** The models as the live projector built them from the log, which is what a replay builds. */
let built: LiveState;

const shadows = async () =>
  (
    await sql<{ table_name: string }>`
      select table_name from information_schema.tables
       where table_schema = current_schema() and table_name like '%\\_shadow' order by 1`.execute(ctx.db)
  ).rows.map((r) => r.table_name);

/** Everything a replay may change only in its swap, compared whole (row ids and update times too). */
async function liveState() {
  return {
    tables: await tableChecksums(ctx.db, TABLES),
    checkpoints: await ctx.db.selectFrom('projection_checkpoints').selectAll().orderBy('name').execute(),
    deadLetters: await ctx.db.selectFrom('dead_letters').selectAll().orderBy('id').execute(),
  };
}

/** The model in a state: less what a swap writes anew for the same model (row ids, times). */
const model = (s: LiveState) => ({
  tables: s.tables,
  checkpoints: s.checkpoints.map((c) => [c.name, Number(c.last_seq)]),
  deadLetters: s.deadLetters
    .map((d) => [d.projection, Number(d.stream_seq), d.event_type, d.error, d.payload])
    .sort((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`)),
});

/** Dead letters per projection, as the live projector wrote them. */
const lettersBuilt = () =>
  Object.fromEntries(
    PROJECTION_NAMES.map((n) => [n, built.deadLetters.filter((d) => d.projection === n).length]),
  );

/** Deletes one row of every live table, so that a table a replay swapped in shows in its checksum. */
async function damage(): Promise<void> {
  for (const t of TABLES) {
    await sql`delete from ${sql.table(t)} where ctid = (select ctid from ${sql.table(t)} limit 1)`.execute(
      ctx.db,
    );
  }
}

/** What the replay child's connections to this test's database are doing. */
async function replayBackends() {
  return (
    await sql<{ pid: number; wait_event: string | null; query: string }>`
      select pid, wait_event, query from pg_stat_activity
       where datname = current_database() and application_name = 'flywheel-replay'`.execute(ctx.db)
  ).rows;
}

interface ReplayChild {
  readonly exited: Promise<number | null>;
  stderr(): string;
  /** `kill -9`, and waits for the process to be gone. */
  kill(): Promise<void>;
}

function runReplay(env: Record<string, string> = {}): ReplayChild {
  const child = spawn(process.execPath, ['--import', 'tsx', REPLAY], {
    env: { ...process.env, ...ctx.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    exited,
    stderr: () => stderr,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `probe` until it finds something; fails at once if `run` ends first. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, run?: ReplayChild): Promise<T> {
  let ended = false;
  void run?.exited.then(() => {
    ended = true;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (ended) throw new Error(`the replay ended before ${what}: ${run?.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A killed replay's backend lives on until Postgres notices (within a second, the replay
 * asks it to check); until then it holds the replay's locks and would refuse the next run.
 */
const connectionsGone = () =>
  until('the killed replay’s connections are gone', async () =>
    (await replayBackends()).length === 0 ? true : undefined,
  );

/** The run after a killed one: drops the shadows it left and swaps in the model the log says. */
async function expectCleanRun(): Promise<void> {
  const result = await replay({
    pool,
    nats: ctx.nats,
    topology: ctx.topology,
    logger,
    progress: silentProgress,
  });
  expect(Object.fromEntries(result.projections.map((p) => [p.name, p.deadLetters]))).toEqual(lettersBuilt());
  expect(await shadows()).toEqual([]);
  expect(model(await liveState())).toEqual(model(built));
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
  // One message nothing can decode: a dead letter in each model the events stream feeds.
  await ctx.nats.js.publish(ctx.topology.eventSubject('ws0', 'session', 'ses_junk'), 'not a commit');
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
  built = await liveState();
});

afterAll(async () => {
  await projector?.stop();
  await pool?.end();
  await ctx?.dispose();
});

describe('replay', () => {
  it('killed with its shadows built, waiting to swap, leaves the live model untouched; the next run starts cleanly', {
    timeout: 120_000,
  }, async () => {
    await damage();
    const before = await liveState();
    // A live batch's lock: the replay takes the projections' locks in name order after its
    // bulk load, index builds and catch-up, and waits here with everything else held, before its swap.
    const holder = await pool.connect();
    const lock = 'select pg_advisory_lock(hashtextextended($1, 0))';
    const unlock = 'select pg_advisory_unlock(hashtextextended($1, 0))';
    try {
      await holder.query(lock, [projectionLockName('sessions')]);
      const run = runReplay();
      await until(
        'the replay waits for the sessions lock',
        async () => (await replayBackends()).find((b) => b.wait_event === 'advisory'),
        run,
      );
      // Truly half-way: every shadow holds the whole model the log says.
      expect(await tableChecksums(ctx.db, SHADOWS)).toEqual(
        Object.fromEntries(TABLES.map((t) => [shadowName(t), built.tables[t]])),
      );
      await run.kill();
      expect(await liveState()).toEqual(before);
      // Postgres notices the replay is gone while its statement still waits: its locks go
      // with it, though the lock it waits for is still held.
      await connectionsGone();
    } finally {
      await holder.query(unlock, [projectionLockName('sessions')]);
      holder.release();
    }
    expect(await liveState()).toEqual(before);
    expect(await shadows()).toEqual([...SHADOWS].sort());
    await expectCleanRun();
  });

  it('killed inside its swap transaction leaves the live model untouched; the next run starts cleanly', {
    timeout: 120_000,
  }, async () => {
    await damage();
    const before = await liveState();
    // A reader of the last table the swap replaces: the swap, having dropped and renamed
    // the others in its transaction, waits for it (5 s at most, then it retries).
    const reader = await pool.connect();
    let open = false;
    try {
      await reader.query('begin');
      open = true;
      await reader.query('lock table session_output in access share mode');
      const run = runReplay();
      const swapping = await until(
        'the swap waits for session_output',
        async () =>
          (await replayBackends()).find(
            (b) => b.wait_event === 'relation' && b.query === 'drop table "session_output"',
          ),
        run,
      );
      // Mid-transaction: every other live table is dropped and its shadow renamed in its place.
      const { rows } = await sql<{ relname: string }>`
        select c.relname from pg_locks l join pg_class c on c.oid = l.relation
         where l.pid = ${swapping.pid} and l.granted and l.mode = 'AccessExclusiveLock' and c.relkind = 'r'
         order by 1`.execute(ctx.db);
      const swapped = TABLES.filter((t) => t !== 'session_output');
      expect(rows.map((r) => r.relname)).toEqual([...swapped, ...swapped.map(shadowName)].sort());
      await run.kill();
      await reader.query('commit');
      open = false;
    } finally {
      if (open) await reader.query('rollback');
      reader.release();
    }
    await connectionsGone();
    expect(await liveState()).toEqual(before);
    expect(await shadows()).toEqual([...SHADOWS].sort());
    await expectCleanRun();
  });

  it('shows its progress on stderr, then a closing line with messages, events, seconds and rates', {
    timeout: 120_000,
  }, async () => {
    const streams = [ctx.topology.events.stream, ctx.topology.output.stream];
    const messages = (await Promise.all(streams.map((s) => ctx.nats.jsm.streams.info(s)))).reduce(
      (n, i) => n + i.state.messages,
      0,
    );
    const run = runReplay();
    expect(await run.exited, run.stderr()).toBe(0);
    const out = run.stderr();
    // Not a terminal: whole lines, never redrawn in place.
    expect(out.includes('\r') || out.includes('\u001b')).toBe(false);
    const lines = out.trimEnd().split('\n');

    const BAR =
      /^(\S+) +([█░]{28}) +(\d+)% {2}([\d,]+)\/([\d,]+) messages {2}([\d,]+) msg\/s {2}([\d,]+) events\/s {2}ETA (\d+:\d\d|--:--)$/;
    const num = (s: string) => Number(s.replaceAll(',', ''));
    const bars = lines.flatMap((l) => {
      const m = BAR.exec(l);
      return m === null
        ? []
        : [
            {
              phase: m[1],
              filled: m[2]!.split('█').length - 1,
              percent: Number(m[3]),
              done: num(m[4]!),
              total: num(m[5]!),
              rate: num(m[6]!),
              eventRate: num(m[7]!),
              eta: m[8],
            },
          ];
    });
    // No new messages while it ran, so one phase: a line as it starts, one when it ends
    // (and one every 2 s between, if it takes that long).
    expect(bars.length).toBeGreaterThanOrEqual(2);
    expect(bars[0]).toEqual({
      phase: 'replay',
      filled: 0,
      percent: 0,
      done: 0,
      total: messages,
      rate: 0,
      eventRate: 0,
      eta: '--:--',
    });
    expect(bars.at(-1)).toEqual({
      phase: 'replay',
      filled: 28,
      percent: 100,
      done: messages,
      total: messages,
      rate: expect.any(Number),
      eventRate: expect.any(Number),
      eta: '0:00',
    });
    expect(bars.at(-1)!.rate).toBeGreaterThan(0);
    // Some commits hold several events.
    expect(bars.at(-1)!.eventRate).toBeGreaterThan(bars.at(-1)!.rate);
    for (const [i, b] of bars.entries()) {
      expect(b.phase).toBe('replay');
      expect(b.percent).toBe(Math.floor((b.done / b.total) * 100));
      expect(b.filled).toBe(Math.round((b.done / b.total) * 28));
      if (i > 0) expect(b.done).toBeGreaterThanOrEqual(bars[i - 1]!.done);
    }

    // Besides the bars: the note between phases and the closing line, last.
    const others = lines.filter((l) => !BAR.test(l));
    expect(others).toHaveLength(2);
    expect(others[0]).toBe(`building indexes on ${TABLES.length} tables`);
    expect(lines.at(-1)).toBe(others[1]);
    const summary =
      /^replayed ([\d,]+) messages \(([\d,]+) events\) into sessions, accounts, agents, event-index, output in (\d+\.\d) s \(([\d,]+) messages\/s, ([\d,]+) events\/s\); dead letters \(messages that could not be projected, in table dead_letters\): sessions 1, accounts 1, agents 1, event-index 1$/.exec(
        others[1]!,
      );
    expect(summary, others[1]).not.toBeNull();
    const [, count, eventCount, seconds, rate, eventRate] = summary!;
    expect(num(count!)).toBe(messages);
    expect(num(eventCount!)).toBeGreaterThan(messages);
    // Rates are of the unrounded time, so they lie within what the rounded one allows.
    const s = Number(seconds);
    for (const [n, r] of [
      [messages, rate],
      [num(eventCount!), eventRate],
    ] as const) {
      expect(num(r!)).toBeGreaterThanOrEqual(Math.floor(n / (s + 0.05)));
      if (s > 0.05) expect(num(r!)).toBeLessThanOrEqual(Math.ceil(n / (s - 0.05)));
    }
  });

  it('builds the same models when rows outlive memory and are read back from the shadows', {
    timeout: 120_000,
  }, async () => {
    const deps = { pool, nats: ctx.nats, topology: ctx.topology, logger, progress: silentProgress };
    await replay(deps);
    const roomy = await tableChecksums(ctx.db, TABLES);
    // A write every 50 messages and 5 rows kept per table: most rows are read back.
    const result = await replay({ ...deps, limits: { flushMessages: 50, cacheRows: 5 } });
    expect(Object.fromEntries(result.projections.map((p) => [p.name, p.deadLetters]))).toEqual(
      lettersBuilt(),
    );
    expect(await tableChecksums(ctx.db, TABLES)).toEqual(roomy);
  });

  it('rebuilds one projection with PROJECTION=name and leaves the others alone', {
    timeout: 120_000,
  }, async () => {
    await sql`update sessions set model = 'damaged'`.execute(ctx.db);
    await sql`update accounts set label = 'damaged'`.execute(ctx.db);
    const run = runReplay({ PROJECTION: 'sessions' });
    expect(await run.exited, run.stderr()).toBe(0);
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
    const run = runReplay({ PROJECTION: 'sesions' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/unknown projection sesions; expected one or more of sessions, accounts/);
  });

  it('says what to do when the database does not exist', async () => {
    const url = new URL(ctx.databaseUrl);
    url.pathname = '/fw_no_such_database';
    const run = runReplay({ DATABASE_URL: url.toString() });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(
      /database "fw_no_such_database" does not exist at .*: run make migrate, which creates it/,
    );
  });
});
