import { createLogger, createPgPool, PROJECTIONS, projectionLockName, type StreamRef } from '@flywheel/core';
import { createTestContext, sessionRequested, type TestContext } from '@flywheel/core/testing';
import { sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProjector } from '../projector';
import {
  appendWorkload,
  generateWorkload,
  publishOutput,
  publishUnchecked,
  tableChecksums,
  waitForProjections,
} from '../testing';
import { type ReplayProgress, silentProgress } from './progress-bar';
import { replay } from './replay';

const logger = createLogger('replay-test', 'silent');

/** A replay of every projection of `ctx`'s streams, as `make replay` runs it. */
const replayAll = (ctx: TestContext, pool: pg.Pool, progress: ReplayProgress = silentProgress) =>
  replay({ pool, nats: ctx.nats, topology: ctx.topology, logger, progress });

const TABLES = Object.values(PROJECTIONS).flatMap((p) => p.tables);

describe('replay without the streams', () => {
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

  it('says which stream is missing and what to check, and leaves no shadow behind', async () => {
    const run = replayAll(ctx, pool);
    await expect(run).rejects.toThrow(
      `stream ${ctx.topology.events.stream} does not exist on this NATS server, so there is nothing to replay: check NATS_URL and STREAM_PREFIX`,
    );
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.tables
       where table_schema = current_schema() and table_name like '%\\_shadow'`.execute(ctx.db);
    expect(rows[0]!.n).toBe(0);
  });
});

describe('two replays at once', () => {
  let ctx: TestContext;
  let pool: pg.Pool;

  beforeAll(async () => {
    ctx = await createTestContext();
    pool = createPgPool(ctx.databaseUrl, { max: 3 });
  });

  afterAll(async () => {
    await pool?.end();
    await ctx?.dispose();
  });

  it('refuses the second while the first runs, and leaves the first one’s shadows alone', async () => {
    const first = await pool.connect();
    try {
      // What a running replay holds, with a shadow it is building.
      await first.query(`select pg_advisory_lock(hashtextextended('fw-replay', 0))`);
      await first.query('create table sessions_shadow (like sessions)');
      const second = replayAll(ctx, pool);
      await expect(second).rejects.toThrow(
        'another replay is running against this database; wait for it to finish',
      );
      const { rows } = await first.query(`select to_regclass('sessions_shadow') is not null as kept`);
      expect(rows[0].kept).toBe(true);
      await first.query('drop table sessions_shadow');
      await first.query(`select pg_advisory_unlock(hashtextextended('fw-replay', 0))`);
    } finally {
      first.release();
    }
    const result = await replayAll(ctx, pool);
    expect(result.messages).toBe(0);
  });
});

describe('messages that arrive while a replay waits to swap', () => {
  let ctx: TestContext;
  let pool: pg.Pool;
  const APP = 'flywheel-replay-last-phase-test';

  beforeAll(async () => {
    ctx = await createTestContext();
    pool = createPgPool(ctx.databaseUrl, { max: 4, applicationName: APP });
  });

  afterAll(async () => {
    await pool?.end();
    await ctx?.dispose();
  });

  it('are folded in under the projections’ locks and shown as a last phase', async () => {
    await appendWorkload(ctx.eventStore, generateWorkload(300, { seed: 9, idPrefix: 'a' }));
    const phases: [string, number][] = [];
    let advanced = 0;
    const progress = {
      ...silentProgress,
      start: (phase: string, total: number) => phases.push([phase, total]),
      advance: (n: number) => {
        advanced += n;
      },
    };
    const holder = await ctx.db.connection().execute(async (db) => {
      // A live batch holding the sessions projection: the replay waits for it before its swap.
      await sql`select pg_advisory_lock(hashtextextended(${projectionLockName('sessions')}, 0))`.execute(db);
      const run = replayAll(ctx, pool, progress);
      for (let waiting = false; !waiting; await new Promise((r) => setTimeout(r, 20))) {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity
           where application_name = ${APP} and wait_event_type = 'Lock' and wait_event = 'advisory'`.execute(
          db,
        );
        waiting = rows[0]!.n > 0;
      }
      const late = await appendWorkload(ctx.eventStore, generateWorkload(12, { seed: 10, idPrefix: 'late' }));
      await sql`select pg_advisory_unlock(hashtextextended(${projectionLockName('sessions')}, 0))`.execute(
        db,
      );
      return { run, late };
    });
    const result = await holder.run;
    expect(phases.at(-1)).toEqual(['last', holder.late]);
    expect(advanced).toBe(result.messages);
    expect(phases.reduce((n, [, total]) => n + total, 0)).toBe(result.messages);
  });
});

describe('replay of a log with poison messages', () => {
  let ctx: TestContext;
  let pool: pg.Pool;

  const letters = () =>
    ctx.db
      .selectFrom('dead_letters')
      .select(['projection', 'stream_seq', 'event_type', 'error', 'payload'])
      .orderBy('projection')
      .orderBy('stream_seq')
      .execute();

  beforeAll(async () => {
    ctx = await createTestContext();
    pool = createPgPool(ctx.databaseUrl, { max: 4 });
  });

  afterAll(async () => {
    await pool?.end();
    await ctx?.dispose();
  });

  it('dead-letters exactly what the live projector did, and builds the same models around them', {
    timeout: 60_000,
  }, async () => {
    const projector = await startProjector({
      pool,
      nats: ctx.nats,
      topology: ctx.topology,
      logger,
      onFatal: (err) => {
        throw err;
      },
    });
    try {
      const first = [...generateWorkload(600, { seed: 5, idPrefix: 'a' })];
      await appendWorkload(ctx.eventStore, first);
      const ses = (id: string): StreamRef => ({ workspace: 'ws0', type: 'session', id });
      await ctx.nats.js.publish(ctx.topology.eventSubject('ws0', 'session', 'ses_junk'), 'not a commit');
      await publishUnchecked(ctx, ses('ses_nul'), [sessionRequested('before\u0000after')]);
      await publishUnchecked(ctx, ses('ses_lone'), [sessionRequested('lonely')], (json) =>
        json.replace('"metadata":{}', '"metadata":{"note":"half \\ud800 a pair"}'),
      );
      const requestedOnce = first.find((c) => c.ref.type === 'session')!.ref;
      await publishUnchecked(ctx, requestedOnce, [sessionRequested('requested twice')]);
      await publishUnchecked(ctx, ses('ses_orphan'), [
        { type: 'SessionStarted', data: { agentId: 'agt_1', attempt: 1 } },
      ]);
      await publishOutput(ctx.nats, ctx.topology, 'ws0', 'ases1', [
        { seq: 1, stream: 'stdout', text: 'fine\n', at: '2026-02-01T10:00:00.000Z' },
      ]);
      await ctx.nats.js.publish(ctx.topology.outputSubject('ws0', 'ases1'), '{"seq":"two"}');
      await appendWorkload(ctx.eventStore, generateWorkload(600, { seed: 6, idPrefix: 'b' }));
      await waitForProjections(ctx);
    } finally {
      await projector.stop();
    }
    const live = await letters();
    const liveTables = await tableChecksums(ctx.db, TABLES);
    const reasons = (projection: string) =>
      live.filter((l) => l.projection === projection).map((l) => l.error);
    expect(reasons('sessions')).toEqual([
      expect.stringMatching(/not JSON/),
      expect.stringMatching(/NUL/),
      expect.stringMatching(/surrogate/),
      expect.stringMatching(/requested twice/),
      expect.stringMatching(/never requested/),
    ]);
    expect(reasons('output')).toEqual([expect.stringMatching(/not a chunk/)]);
    expect(reasons('event-index')).toHaveLength(3);

    let summary = '';
    const progress = { ...silentProgress, finish: (line: string) => (summary = line) };
    const result = await replayAll(ctx, pool, progress);
    expect(summary).toMatch(
      /; dead letters \(messages that could not be projected, in table dead_letters\): sessions 5, .*output 1$/,
    );
    expect(await letters()).toEqual(live);
    expect(await tableChecksums(ctx.db, TABLES)).toEqual(liveTables);
    const counted = Object.fromEntries(result.projections.map((p) => [p.name, p.deadLetters]));
    for (const name of Object.keys(PROJECTIONS)) {
      expect(counted[name], name).toBe(live.filter((l) => l.projection === name).length);
    }
  });
});
