import { type AgentState, agentEvolver } from '@flywheel/core';
import {
  createTestContext,
  type ProviderEmulator,
  type ServiceProcess,
  startProviderEmulator,
  startServiceProcess,
  type TestContext,
} from '@flywheel/core/testing';
import { AGENT_DRAINING_REASON, AGENTS_WORKSPACE } from '@flywheel/schemas';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dispatch, linkAccount, readOutput, requestSession, session } from './testing/stack-fixture';

let ctx: TestContext;
let emulator: ProviderEmulator;
let gateway: ServiceProcess;
let agent: ServiceProcess;

beforeAll(async () => {
  ctx = await createTestContext();
  emulator = await startProviderEmulator();
  gateway = await startServiceProcess('gateway', { ...ctx.env, LOG_LEVEL: 'info' });
  agent = await startServiceProcess('agent', {
    ...ctx.env,
    LOG_LEVEL: 'info',
    AGENT_ID: 'drain-agent',
    AGENT_MAX_CONCURRENT: '2',
    AGENT_DRAIN_TIMEOUT_MS: '3000',
  });
  const base = emulator.baseUrl('anthropic');
  await linkAccount(ctx, 'acc_quick', 'Quick', 'sk-ant-quick', base);
  await linkAccount(ctx, 'acc_endless', 'Endless', 'sk-ant-endless', base);
});

afterAll(async () => {
  await agent?.stop('SIGKILL');
  await gateway?.stop('SIGKILL');
  await emulator?.close();
  await ctx?.dispose();
});

const status = async (id: string) => (await session(ctx, id)).status;

describe('agent drain on SIGTERM', () => {
  it('takes no new work, lets a short session finish, hands a long one back, then exits', async () => {
    // About one second of output: it finishes inside the drain window.
    emulator.script('sk-ant-quick', { chunks: 20, latencyMs: 50 });
    // A stream that never ends: only a hand-back can end this attempt.
    emulator.script('sk-ant-endless', { chunks: 1, streamEnding: 'never' });
    const quick = await requestSession(ctx);
    const endless = await requestSession(ctx);
    await dispatch(ctx, quick, 'acc_quick');
    await dispatch(ctx, endless, 'acc_endless');
    await vi.waitFor(
      async () => {
        expect(await status(quick)).toBe('Running');
        expect(await status(endless)).toBe('Running');
        expect((await readOutput(ctx, quick)).chunks.length).toBeGreaterThan(0);
      },
      { timeout: 20_000, interval: 25 },
    );

    agent.child.kill('SIGTERM');
    await vi.waitFor(
      async () => {
        const loaded = await ctx.eventStore.load({
          workspace: AGENTS_WORKSPACE,
          type: 'agent',
          id: 'drain-agent',
        });
        const state = loaded.events.reduce(
          (s, e) => agentEvolver.evolve(s, e as never),
          agentEvolver.initialState() as AgentState,
        );
        expect(state.status).toBe('Draining');
      },
      { timeout: 10_000, interval: 25 },
    );
    // Work dispatched while the agent drains stays on the queue for another agent.
    const late = await requestSession(ctx);
    await dispatch(ctx, late, 'acc_quick');

    expect(await agent.exited).toBe(0);
    expect(await session(ctx, quick)).toMatchObject({ status: 'Completed' });
    expect(await session(ctx, endless)).toMatchObject({
      status: 'Queued',
      queueReason: AGENT_DRAINING_REASON,
    });
    expect(await status(late)).toBe('Starting');
    const pending = await ctx.nats.jsm.consumers.info(ctx.topology.work.stream, 'agents-anthropic');
    expect(pending.num_pending + pending.num_ack_pending).toBe(1);

    const { chunks } = await readOutput(ctx, endless);
    expect(chunks.at(-1)).toMatchObject({ stream: 'system', text: expect.stringContaining('shutting down') });
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i + 1));
  });
});
