import {
  type AgentState,
  agentEvolver,
  type SessionState,
  type StoredEvent,
  sessionEvolver,
} from '@flywheel/core';
import { type AccountView, AGENTS_WORKSPACE, type AgentList, type SessionView } from '@flywheel/schemas';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { eventually, type Stack, startStack } from './testing/stack';

/**
 * kill -9 of an agent in the middle of two sessions, on the whole stack: the one that already
 * streamed output fails "agent lost", the one that had not is run again by another agent.
 */

const WS = 'e2e-lost';
const SILENCE_MS = 7000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { DISPATCH_AGENT_TIMEOUT_MS: String(SILENCE_MS) } });
}, 120_000);
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(stack.logs()));
});
afterAll(async () => {
  await stack?.dispose();
});

async function fold<S>(
  ref: { workspace: string; type: 'session' | 'agent'; id: string },
  evolver: {
    initialState(): S;
    evolve(s: S, e: never): S;
  },
): Promise<{ state: S; events: readonly StoredEvent[] }> {
  const { events } = await stack.ctx.eventStore.load(ref);
  return { state: events.reduce((s, e) => evolver.evolve(s, e as never), evolver.initialState()), events };
}
const sessionOf = (id: string) => fold<SessionState>({ workspace: WS, type: 'session', id }, sessionEvolver);
const agentOf = (id: string) =>
  fold<AgentState>({ workspace: AGENTS_WORKSPACE, type: 'agent', id }, agentEvolver);

it('kill -9 an agent mid-session: within 20 s its sessions fail "agent lost", or run again if they had no output', async () => {
  const api = await stack.api(WS);
  stack.emulator.script('key-talky', { chunks: 60, latencyMs: 250 });
  stack.emulator.script('key-quiet', { chunks: 1, latencyMs: 60_000 });
  const link = async (label: string, apiKey: string) => {
    const res = await api.post<AccountView>('/accounts', {
      provider: 'anthropic',
      label,
      apiKey,
      baseUrl: stack.emulator.baseUrl('anthropic'),
    });
    expect(res.status).toBe(201);
    await eventually(
      `${label} Active`,
      async () => (await api.get<AccountView>(`/accounts/${res.body.id}`)).body.status === 'Active',
    );
    return res.body.id;
  };
  const talky = await link('talky', 'key-talky');
  const quiet = await link('quiet', 'key-quiet');
  const start = async (prompt: string, accountId: string) =>
    (await api.post<{ id: string }>('/sessions', { provider: 'anthropic', prompt, accountId })).body.id;
  const streaming = await start('talk for a while', talky);
  const silent = await start('think for a long time', quiet);

  const doomed = `${stack.ctx.id}-agent-1`;
  for (const id of [streaming, silent]) {
    await eventually(`${id} Running on the agent`, async () => {
      const s = (await api.get<SessionView>(`/sessions/${id}`)).body;
      return s.status === 'Running' && s.agentId === doomed;
    });
  }
  await eventually('output from the talky session', () =>
    stack.ctx.nats.jsm.direct.getMessage(stack.ctx.topology.output.stream, {
      last_by_subj: stack.ctx.topology.outputSubject(WS, streaming),
    }),
  );

  // The agents list shows each heartbeat the dispatcher records.
  const heartbeatOf = async (id: string) => {
    const agent = (await api.get<AgentList>('/agents')).body.items.find((a) => a.id === id);
    return agent?.lastHeartbeatAt === null || agent === undefined ? 0 : Date.parse(agent.lastHeartbeatAt);
  };
  const listedAt = Date.now();
  await eventually('a heartbeat newer than the list', async () => (await heartbeatOf(doomed)) > listedAt);

  const killedAt = Date.now();
  await stack.services.get('agent-1')!.stop('SIGKILL');
  // Another agent picks up what is requeued; the quiet key answers at once from now on.
  stack.emulator.script('key-quiet', { chunks: 2 });
  await stack.start('agent', 'agent-2');

  const failed = await eventually(
    'the talky session Failed',
    async () => {
      const s = await sessionOf(streaming);
      return s.state.status === 'Failed' ? s : undefined;
    },
    25_000,
  );
  expect(failed.state).toMatchObject({ reason: 'agent lost' });
  const failedAt = Date.parse(failed.events.at(-1)!.at);
  expect(failedAt - killedAt).toBeLessThan(20_000);

  const offline = await agentOf(doomed);
  expect(offline.state).toMatchObject({ status: 'Offline' });
  // A dead agent's heartbeat stays where it stopped; the live one's moves on.
  const lastBeat = await heartbeatOf(doomed);
  expect(lastBeat).toBeGreaterThan(listedAt);
  expect(lastBeat).toBeLessThanOrEqual(killedAt + 1000);
  await eventually(
    'agent-2 heartbeating',
    async () => (await heartbeatOf(`${stack.ctx.id}-agent-2`)) > killedAt,
  );

  const rerun = await eventually(
    'the quiet session Completed on another agent',
    async () => {
      const s = await sessionOf(silent);
      return s.state.status === 'Completed' ? s : undefined;
    },
    30_000,
  );
  expect(rerun.state).toMatchObject({ attempts: 2, agentId: `${stack.ctx.id}-agent-2` });
  const requeued = rerun.events.find((e) => e.type === 'SessionRequeued')!;
  expect(requeued.data).toMatchObject({ reason: 'agent lost' });
  expect(Date.parse(requeued.at) - killedAt).toBeLessThan(20_000);
});
