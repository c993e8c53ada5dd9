import { PROJECTION_NAMES } from '@flywheel/core';
import { appendCommand, createTestContext, sessionRequested, type TestContext } from '@flywheel/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

let ctx: TestContext;
let t: TestApp;

/** Each test gets a gateway, a projector and streams of its own: one of them deletes a stream. */
beforeEach(async () => {
  ctx = await createTestContext();
  t = await createTestApp(ctx);
});

afterEach(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

/** The samples of `metric` by projection, from a scrape of `/metrics`. */
async function scrape(metric: string): Promise<Map<string, number>> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  const samples = new Map<string, number>();
  for (const m of res.body.matchAll(new RegExp(`^${metric}\\{projection="([^"]+)"\\} (\\S+)$`, 'gm'))) {
    samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

describe('projection gauges on /metrics', () => {
  it('report each projection’s checkpoint, lag, dead letters and whether it runs', async () => {
    const version = await appendCommand(
      ctx.eventStore,
      { workspace: 'acme', type: 'session', id: 'ses_m' },
      0,
      [sessionRequested()],
    );
    await expect
      .poll(async () => (await scrape('flywheel_projection_checkpoint')).get('sessions'), { timeout: 10_000 })
      .toBe(version);
    expect([...(await scrape('flywheel_projection_lag_messages')).keys()].sort()).toEqual(
      [...PROJECTION_NAMES].sort(),
    );
    await expect
      .poll(async () => (await scrape('flywheel_projection_lag_messages')).get('event-index'), {
        timeout: 10_000,
      })
      .toBe(0);
    expect(Object.fromEntries(await scrape('flywheel_projection_dead_letters'))).toMatchObject({
      sessions: 0,
      'event-index': 0,
    });
    expect(Object.fromEntries(await scrape('flywheel_projection_stopped'))).toMatchObject({
      sessions: 0,
      agents: 0,
    });

    // A projection whose consumer is gone is projecting nothing.
    await ctx.nats.jsm.consumers.delete(ctx.topology.events.stream, 'projection-agents');
    await expect
      .poll(async () => (await scrape('flywheel_projection_stopped')).get('agents'), { timeout: 5_000 })
      .toBe(1);
  });

  it('leave the gauges empty, and the rest of the scrape whole, when the streams cannot be measured', async () => {
    await ctx.nats.jsm.streams.delete(ctx.topology.output.stream);
    await new Promise((r) => setTimeout(r, 1100));
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('flywheel_http_requests_total');
    expect(res.body).not.toMatch(/^flywheel_projection_lag_messages\{/m);
  });
});
