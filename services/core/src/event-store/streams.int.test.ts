import { RetentionPolicy } from '@nats-io/jetstream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { StreamConfigMismatchError } from '../errors/errors';
import { createTestContext, type TestContext } from '../testing';
import { ensureStreams } from './streams';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ migrate: false, streams: false });
});
afterAll(async () => {
  await ctx?.dispose();
});

const opts = { replicas: 1, outputMaxAgeDays: 1 };

it('creates EVENTS, OUTPUT and WORK once and is idempotent', async () => {
  await ensureStreams(ctx.nats.jsm, ctx.topology, opts);
  await ensureStreams(ctx.nats.jsm, ctx.topology, opts);
  const events = await ctx.nats.jsm.streams.info(ctx.topology.events.stream);
  expect(events.config.subjects).toEqual([ctx.topology.events.subjects]);
  expect(events.config.max_age).toBe(0);
  const work = await ctx.nats.jsm.streams.info(ctx.topology.work.stream);
  expect(work.config.retention).toBe(RetentionPolicy.Workqueue);
  const output = await ctx.nats.jsm.streams.info(ctx.topology.output.stream);
  expect(output.config.max_age).toBe(24 * 60 * 60 * 1e9);
});

it('reports an existing stream with different settings and leaves it unchanged', async () => {
  await ensureStreams(ctx.nats.jsm, ctx.topology, opts);
  const err = await ensureStreams(ctx.nats.jsm, ctx.topology, { replicas: 1, outputMaxAgeDays: 7 }).catch(
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StreamConfigMismatchError);
  expect((err as Error).message).toContain(`stream ${ctx.topology.output.stream}: max_age`);
  const output = await ctx.nats.jsm.streams.info(ctx.topology.output.stream);
  expect(output.config.max_age).toBe(24 * 60 * 60 * 1e9);
});
