import { createPgPool, projectionLockName } from '@flywheel/core';
import { appendCommand, createTestContext, sessionRequested, type TestContext } from '@flywheel/core/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

const MAX_LAG = 3;

let ctx: TestContext;
let t: TestApp;
let pool: pg.Pool;

beforeAll(async () => {
  ctx = await createTestContext();
  ctx.env.READY_MAX_LAG = String(MAX_LAG);
  t = await createTestApp(ctx);
  pool = createPgPool(ctx.databaseUrl, { max: 1 });
});

afterAll(async () => {
  await pool?.end();
  await t?.app.close();
  await ctx?.dispose();
});

const requestSession = (id: string) =>
  appendCommand(ctx.eventStore, { workspace: 'acme', type: 'session', id }, 0, [sessionRequested()]);

const ready = () => t.app.inject({ method: 'GET', url: '/ready' });

describe('GET /ready with READY_MAX_LAG', () => {
  it('answers 503 naming a projection further behind than READY_MAX_LAG, and 200 once it catches up', async () => {
    await requestSession('ses_0');
    const sessionsLag = async () =>
      (await ready()).json().checks.projections.items.find((p: { name: string }) => p.name === 'sessions')
        ?.lag;
    await expect.poll(sessionsLag, { timeout: 10_000 }).toBe(0);
    expect((await ready()).statusCode).toBe(200);

    // Hold the sessions projection (as a replay's swap does): it keeps running, but applies nothing.
    const holder = await pool.connect();
    try {
      await holder.query('select pg_advisory_lock(hashtextextended($1, 0))', [
        projectionLockName('sessions'),
      ]);
      for (let i = 1; i <= MAX_LAG + 2; i++) await requestSession(`ses_${i}`);
      await expect
        .poll(async () => (await ready()).json().checks.projections.message, { timeout: 10_000 })
        .toBe(`sessions is ${MAX_LAG + 2} messages behind`);
      const res = await ready();
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.checks.projections).toMatchObject({ ok: false, maxLag: MAX_LAG });
      expect(
        body.checks.projections.items.find((p: { name: string }) => p.name === 'sessions'),
      ).toMatchObject({
        ok: false,
        stopped: false,
        lag: MAX_LAG + 2,
      });
    } finally {
      await holder.query('select pg_advisory_unlock(hashtextextended($1, 0))', [
        projectionLockName('sessions'),
      ]);
      holder.release();
    }
    await expect.poll(async () => (await ready()).statusCode, { timeout: 10_000 }).toBe(200);
  });
});
