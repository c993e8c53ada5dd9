import { createLogger, createPgPool, PROJECTIONS } from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProjector } from './projector';
import { silentProgress } from './replay/progress-bar';
import { replay } from './replay/replay';
import { appendWorkload, generateWorkload, tableChecksums, waitForProjections } from './testing';

const APP = 'flywheel-projector-connections-test';
const TABLES = Object.values(PROJECTIONS).flatMap((p) => p.tables);
const logger = createLogger('projector-test', 'silent');

let ctx: TestContext;
let pool: pg.Pool;
let killer: pg.Pool;
const connectionErrors: Error[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  pool = createPgPool(ctx.databaseUrl, {
    max: 8,
    applicationName: APP,
    onConnectionError: (err) => connectionErrors.push(err),
  });
  killer = createPgPool(ctx.databaseUrl, { max: 1 });
});

afterAll(async () => {
  await pool?.end();
  await killer?.end();
  await ctx?.dispose();
});

describe('projector whose PostgreSQL connections are terminated', () => {
  it('keeps projecting, losing and repeating nothing', { timeout: 60_000 }, async () => {
    const fatal: Error[] = [];
    const projector = await startProjector({
      pool,
      nats: ctx.nats,
      topology: ctx.topology,
      logger,
      onFatal: (err) => fatal.push(err),
    });
    let killed = 0;
    let appending = true;
    // Every connection of the projector but the one holding its leader lock, idle or mid-batch.
    const kills = (async () => {
      while (appending) {
        const { rows } = await killer.query<{ n: number }>(
          `select count(pg_terminate_backend(a.pid))::int as n from pg_stat_activity a
            where a.application_name = $1 and a.datname = current_database()
              and not exists (select 1 from pg_locks l where l.pid = a.pid and l.locktype = 'advisory' and l.granted
                                and l.objid = (hashtextextended('fw-projector-leader', 0) & 4294967295))`,
          [APP],
        );
        killed += rows[0]!.n;
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    try {
      await appendWorkload(ctx.eventStore, generateWorkload(3000, { seed: 8 }), 8);
    } finally {
      appending = false;
      await kills;
    }
    await waitForProjections(ctx);
    await projector.stop();
    expect(fatal).toEqual([]);
    expect(killed).toBeGreaterThan(5);
    expect(connectionErrors.length).toBeGreaterThan(0);
    expect(await ctx.db.selectFrom('dead_letters').selectAll().execute()).toEqual([]);
    const live = await tableChecksums(ctx.db, TABLES);
    await replay({ pool, nats: ctx.nats, topology: ctx.topology, logger, progress: silentProgress });
    expect(await tableChecksums(ctx.db, TABLES)).toEqual(live);
  });
});
