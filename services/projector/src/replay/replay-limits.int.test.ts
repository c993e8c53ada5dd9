import { createLogger, createPgPool, PROJECTIONS } from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Projector, startProjector } from '../projector';
import { appendWorkload, generateWorkload, tableChecksums, waitForProjections } from '../testing';
import { silentProgress } from './progress-bar';
import { replay } from './replay';

let ctx: TestContext;
let pool: pg.Pool;
let projector: Projector;
const TABLES = Object.values(PROJECTIONS).flatMap((p) => p.tables);
const logger = createLogger('replay-test', 'silent');

beforeAll(async () => {
  ctx = await createTestContext();
  pool = createPgPool(ctx.databaseUrl, { max: 4 });
  projector = await startProjector({
    pool,
    nats: ctx.nats,
    topology: ctx.topology,
    logger,
    onFatal: (err) => {
      throw err;
    },
  });
});

afterAll(async () => {
  await projector?.stop();
  await pool?.end();
  await ctx?.dispose();
});

it('builds the same models when rows outlive memory and are read back from the shadows', async () => {
  // Sessions long in flight (100 at once) against 20 rows kept per table and a write every 60 messages.
  await appendWorkload(ctx.eventStore, generateWorkload(3_000, { seed: 5, inFlight: 100 }));
  await waitForProjections(ctx);
  const live = await tableChecksums(ctx.db, TABLES);
  const result = await replay(
    {
      pool,
      nats: ctx.nats,
      topology: ctx.topology,
      logger,
      progress: silentProgress,
      limits: { flushMessages: 60, cacheRows: 20 },
    },
    undefined,
  );
  expect(result.projections.every((p) => p.deadLetters === 0)).toBe(true);
  expect(await tableChecksums(ctx.db, TABLES)).toEqual(live);
});
