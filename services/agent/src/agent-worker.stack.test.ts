import { createAnthropicDriver, createLogger, type ProviderDriver } from '@flywheel/core';
import {
  createTestContext,
  type ProviderEmulator,
  type ServiceProcess,
  startProviderEmulator,
  startServiceProcess,
  type TestContext,
} from '@flywheel/core/testing';
import { outputChunkMsgId } from '@flywheel/schemas';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentWorker } from './agent-worker';
import type { PublishChunk } from './output-publisher';
import {
  account,
  cancel,
  dispatch,
  linkAccount,
  publishWorkItem,
  readOutput,
  requestSession,
  session,
} from './testing/stack-fixture';

let ctx: TestContext;
let emulator: ProviderEmulator;
let gateway: ServiceProcess;
let worker: AgentWorker;
let driver: ProviderDriver;

/** Every output publish the agent made, by Nats-Msg-Id; the ids in `loseAckOf` get a lost ack once. */
const publishes = new Map<string, number>();
const loseAckOf = new Set<string>();

beforeAll(async () => {
  ctx = await createTestContext();
  emulator = await startProviderEmulator();
  gateway = await startServiceProcess('gateway', { ...ctx.env, LOG_LEVEL: 'info' });
  // Fast transient retries keep a failing test short; the mapping of outcomes is the driver's own.
  driver = createAnthropicDriver({
    retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 100 },
  });
  const publishChunk: PublishChunk = async (subject, data, msgId) => {
    publishes.set(msgId, (publishes.get(msgId) ?? 0) + 1);
    await ctx.nats.js.publish(subject, data, { msgID: msgId });
    if (loseAckOf.delete(msgId)) {
      // The chunk is stored, but the agent does not learn it: exactly what a lost ack looks like.
      throw new Error('ack lost (injected by the test)');
    }
  };
  worker = new AgentWorker({
    nats: ctx.nats,
    topology: ctx.topology,
    agent: {
      id: 'agent-it',
      name: 'integration',
      providers: ['anthropic'],
      maxConcurrent: 4,
      version: '0.0.0',
    },
    jwtSecret: ctx.env.JWT_SECRET!,
    driverFor: () => driver,
    logger: createLogger('agent', 'error'),
    publishChunk,
  });
  await worker.start();
  const base = emulator.baseUrl('anthropic');
  await linkAccount(ctx, 'acc_main', 'Main', 'sk-ant-main', base);
  await linkAccount(ctx, 'acc_limited', 'Limited', 'sk-ant-limited', base);
  await linkAccount(ctx, 'acc_slow', 'Slow', 'sk-ant-slow', base);
});

afterAll(async () => {
  await worker?.drain();
  await gateway?.stop('SIGKILL');
  await emulator?.close();
  await ctx?.dispose();
});

const seqs = (chunks: readonly { seq: number }[]) => chunks.map((c) => c.seq);
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('agent worker', () => {
  it('runs a session to Completed with all its output in order, once, even when an ack is lost', async () => {
    const words = Array.from({ length: 120 }, (_, i) => `word${i} `);
    emulator.script('sk-ant-main', { text: words, latencyMs: 2 });
    const id = await requestSession(ctx);
    loseAckOf.add(outputChunkMsgId(id, 1, 2));
    await dispatch(ctx, id, 'acc_main');

    const done = await vi.waitFor(
      async () => {
        const s = await session(ctx, id);
        if (s.status !== 'Completed') throw new Error(`session is ${s.status}`);
        return s;
      },
      { timeout: 20_000, interval: 25 },
    );
    const { chunks, stored } = await readOutput(ctx, id);
    expect(seqs(chunks)).toEqual(range(chunks.length));
    expect(stored).toBe(chunks.length);
    expect(chunks.every((c) => c.stream === 'stdout')).toBe(true);
    expect(chunks.map((c) => c.text).join('')).toBe(words.join(''));
    // Batched: 120 deltas arrive in fewer chunks.
    expect(chunks.length).toBeLessThan(words.length);
    expect(done).toMatchObject({ agentId: 'agent-it', outputChunks: chunks.length });
    // The lost ack really happened and the chunk was published twice, stored once.
    expect(publishes.get(outputChunkMsgId(id, 1, 2))).toBe(2);
    expect(emulator.calls.filter((c) => c.key === 'sk-ant-main' && c.prompt !== null)).toHaveLength(1);
    expect(worker.running).toEqual([]);
  });

  it('stops a cancelled session within 2 s and reports nothing over the cancel', async () => {
    // About ten minutes of output if nothing stopped it.
    emulator.script('sk-ant-slow', { chunks: 10_000, latencyMs: 60 });
    const id = await requestSession(ctx);
    await dispatch(ctx, id, 'acc_slow');
    await vi.waitFor(
      async () => {
        expect((await readOutput(ctx, id)).chunks.length).toBeGreaterThan(1);
      },
      { timeout: 20_000, interval: 25 },
    );

    await cancel(ctx, id);
    await vi.waitFor(() => expect(worker.running).not.toContain(id), { timeout: 2_000, interval: 10 });

    const after = await readOutput(ctx, id);
    await new Promise((r) => setTimeout(r, 300));
    expect((await readOutput(ctx, id)).chunks.length).toBe(after.chunks.length);
    expect(seqs(after.chunks)).toEqual(range(after.chunks.length));
    expect(await session(ctx, id)).toMatchObject({ status: 'Cancelled', reason: 'cancelled by test' });
  });

  it('rate limited: the account cools down to the provider reset, the session fails over and continues its output', async () => {
    emulator.script('sk-ant-limited', { rateLimit: { afterCalls: 0, resetSeconds: 120 } });
    emulator.script('sk-ant-main', { text: ['second ', 'attempt'] });
    const id = await requestSession(ctx);
    const before = Date.now();
    await dispatch(ctx, id, 'acc_limited');

    const queued = await vi.waitFor(
      async () => {
        const s = await session(ctx, id);
        if (s.status !== 'Queued' || s.attempts !== 1) throw new Error(`session is ${s.status}`);
        return s;
      },
      { timeout: 20_000, interval: 25 },
    );
    expect(queued).toMatchObject({
      queueReason: 'rate limited on Limited',
      failedAccountIds: ['acc_limited'],
    });
    const limited = await account(ctx, 'acc_limited');
    expect(limited.status).toBe('Cooldown');
    const until = Date.parse((limited as { until: string }).until);
    // The emulator's reset is two minutes out; the cooldown ends then, not at a default.
    expect(until).toBeGreaterThan(before + 100_000);
    expect(until).toBeLessThan(Date.now() + 125_000);

    // The dispatcher's part: the next attempt goes to another account.
    await dispatch(ctx, id, 'acc_main');
    await vi.waitFor(
      async () => {
        expect((await session(ctx, id)).status).toBe('Completed');
      },
      { timeout: 20_000, interval: 25 },
    );
    const { chunks } = await readOutput(ctx, id);
    expect(seqs(chunks)).toEqual(range(chunks.length));
    expect(chunks[0]).toMatchObject({ stream: 'system', text: expect.stringContaining('rate limited') });
    expect(
      chunks
        .slice(1)
        .map((c) => c.text)
        .join(''),
    ).toBe('second attempt');
  });

  it('refuses a stale work item without running it', async () => {
    emulator.script('sk-ant-main', { text: ['only once'] });
    const id = await requestSession(ctx);
    const item = await dispatch(ctx, id, 'acc_main');
    await vi.waitFor(
      async () => {
        expect((await session(ctx, id)).status).toBe('Completed');
      },
      { timeout: 20_000, interval: 25 },
    );
    const calls = emulator.calls.length;
    // The same attempt again, as a dispatcher retrying after the dedupe window would.
    await publishWorkItem(ctx, item, `${id}.replayed`);
    await vi.waitFor(
      async () => {
        const info = await ctx.nats.jsm.consumers.info(ctx.topology.work.stream, 'agents-anthropic');
        expect(info.num_pending + info.num_ack_pending).toBe(0);
      },
      { timeout: 10_000, interval: 25 },
    );
    expect(emulator.calls.length).toBe(calls);
    expect((await readOutput(ctx, id)).chunks.map((c) => c.text)).toEqual(['only once']);
  });
});
