import { randomUUID } from 'node:crypto';
import {
  type AccountState,
  type AgentState,
  accountEvolver,
  agentEvolver,
  createLogger,
  createVault,
  decideAccount,
  decideAgent,
  decideSession,
  type Evolver,
  handleCommand,
  type SessionState,
  type StreamRef,
  sessionEvolver,
} from '@flywheel/core';
import {
  createTestContext,
  type ProviderEmulator,
  startProviderEmulator,
  type TestContext,
} from '@flywheel/core/testing';
import {
  type AccountCommand,
  AGENTS_WORKSPACE,
  type AgentCommand,
  type DomainEvent,
  type SessionCommand,
  WorkItem,
} from '@flywheel/schemas';
import { afterEach, describe, expect, it } from 'vitest';
import { type Dispatcher, startDispatcher } from './dispatcher';
import type { DispatchTimings } from './domain/timer-rules';

/**
 * The dispatcher alone, in process, on real NATS, Postgres and the provider emulator. The
 * test plays the gateway and the agent by sending their commands through the same
 * decide-append loop they use, and publishes heartbeats as an agent does.
 */

const WS = 'acme';

interface Env {
  readonly ctx: TestContext;
  readonly emulator: ProviderEmulator;
  dispatcher: Dispatcher;
  start(timings?: Partial<DispatchTimings>): Promise<void>;
  readonly stops: (() => unknown)[];
}

let env: Env | null = null;

async function setup(timings: Partial<DispatchTimings> = {}): Promise<Env> {
  const ctx = await createTestContext();
  const emulator = await startProviderEmulator();
  const logger = createLogger('dispatcher-test', 'warn');
  const credentials = createVault(ctx.db, Buffer.from(ctx.env.GATEWAY_MASTER_KEY!, 'hex'));
  const e: Env = {
    ctx,
    emulator,
    dispatcher: { stop: async () => undefined },
    stops: [],
    async start(t = timings) {
      e.dispatcher = await startDispatcher({
        nats: ctx.nats,
        db: ctx.db,
        topology: ctx.topology,
        logger,
        credentials,
        timings: t,
      });
    },
  };
  await e.start();
  env = e;
  return e;
}

afterEach(async () => {
  if (!env) return;
  for (const stop of env.stops) await stop();
  await env.dispatcher.stop();
  await env.emulator.close();
  await env.ctx.dispose();
  env = null;
});

const opts = () => {
  const commandId = randomUUID();
  return {
    commandId,
    actor: { kind: 'user' as const, id: 'test' },
    correlationId: commandId,
    now: new Date(),
  };
};

function send<S, E extends DomainEvent>(
  ref: StreamRef,
  evolver: Evolver<S, E>,
  decide: (state: S, now: Date) => readonly E[],
) {
  const o = opts();
  return handleCommand(env!.ctx.eventStore, ref, evolver, (s) => decide(s, o.now), o);
}

const session = (id: string, command: SessionCommand) =>
  send({ workspace: WS, type: 'session', id }, sessionEvolver, (s, now) =>
    decideSession(command, s, { now }),
  );
const account = (id: string, command: AccountCommand) =>
  send({ workspace: WS, type: 'account', id }, accountEvolver, (s, now) =>
    decideAccount(command, s, { now }),
  );
const agent = (id: string, command: AgentCommand) =>
  send({ workspace: AGENTS_WORKSPACE, type: 'agent', id }, agentEvolver, (s, now) =>
    decideAgent(command, s, { now }),
  );

async function load<S, E extends DomainEvent>(ref: StreamRef, evolver: Evolver<S, E>): Promise<S> {
  const { events } = await env!.ctx.eventStore.load<E>(ref);
  return events.reduce((s, e) => evolver.evolve(s, e as unknown as E), evolver.initialState());
}
const sessionState = (id: string) =>
  load<SessionState, never>({ workspace: WS, type: 'session', id }, sessionEvolver);
const accountState = (id: string) =>
  load<AccountState, never>({ workspace: WS, type: 'account', id }, accountEvolver);
const agentState = (id: string) =>
  load<AgentState, never>({ workspace: AGENTS_WORKSPACE, type: 'agent', id }, agentEvolver);

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const inStatus = async <S extends { status: string }>(read: () => Promise<S>, status: string) => {
  const s = await read();
  return s.status === status ? s : undefined;
};

/** Links an API-key account whose calls go to the emulator, as the gateway does: vault first, then the event. */
async function link(id: string, key: string, maxConcurrent = 4) {
  const vault = createVault(env!.ctx.db, Buffer.from(env!.ctx.env.GATEWAY_MASTER_KEY!, 'hex'));
  await vault.store(WS, id, key);
  await account(id, {
    type: 'LinkAccount',
    data: {
      provider: 'anthropic',
      label: id,
      authType: 'api_key',
      fingerprint: `fp-${id}`,
      baseUrl: env!.emulator.baseUrl('anthropic'),
      maxConcurrent,
    },
  });
}

async function linkActive(id: string, maxConcurrent = 4) {
  await link(id, `key-${id}`, maxConcurrent);
  await eventually(`${id} Active`, () => inStatus(() => accountState(id), 'Active'));
}

/** Registers an agent and keeps it heartbeating until the test ends. */
async function onlineAgent(id: string, capacity = 8) {
  await agent(id, {
    type: 'RegisterAgent',
    data: { name: id, providers: ['anthropic'], maxConcurrent: capacity, version: 'test' },
  });
  const beat = () =>
    env!.ctx.nats.nc.publish(
      env!.ctx.topology.subject('agents', 'heartbeat', id),
      JSON.stringify({ agentId: id, running: [], capacity, at: new Date().toISOString() }),
    );
  beat();
  const timer = setInterval(beat, 300);
  const stop = () => clearInterval(timer);
  env!.stops.push(stop);
  return stop;
}

const start = (id: string, requestedAccountId: string | null = null) =>
  session(id, {
    type: 'StartSession',
    data: {
      provider: 'anthropic',
      prompt: `prompt of ${id}`,
      model: null,
      requestedAccountId,
      metadata: {},
      maxAttempts: 3,
    },
  });

const starting = (id: string) =>
  eventually(`${id} Starting`, async () => {
    const s = await sessionState(id);
    return s.status === 'Starting' ? s : undefined;
  });

describe('dispatcher', () => {
  it('verifies linked accounts: a good key turns Active, a refused one Error with the provider reason', async () => {
    await setup();
    env!.emulator.script('key-bad', { reject: 'invalid_key' });
    await link('acc_good', 'key-good');
    await link('acc_bad', 'key-bad');
    await eventually('acc_good Active', () => inStatus(() => accountState('acc_good'), 'Active'));
    const bad = await eventually('acc_bad Error', () => inStatus(() => accountState('acc_bad'), 'Error'));
    expect(bad).toMatchObject({
      code: 'invalid_credential',
      reason: expect.stringContaining('invalid x-api-key'),
    });
  });

  it('dispatches a queued session to an Active account and puts its work item on the provider queue', async () => {
    await setup();
    await linkActive('acc_a');
    await onlineAgent('agt_1');
    await start('ses_1');
    const s = await starting('ses_1');
    expect(s).toMatchObject({ accountId: 'acc_a', attempts: 1 });
    const msg = await env!.ctx.nats.jsm.streams.getMessage(env!.ctx.topology.work.stream, {
      last_by_subj: env!.ctx.topology.workSubject('anthropic'),
    });
    expect(msg!.header.get('Nats-Msg-Id')).toBe('ses_1.1');
    expect(WorkItem.parse(msg!.json())).toEqual({
      sessionId: 'ses_1',
      workspace: WS,
      provider: 'anthropic',
      accountId: 'acc_a',
      attempt: 1,
      model: null,
      prompt: 'prompt of ses_1',
    });
  });

  it('rotates sessions over the accounts and never puts more on one than its maxConcurrent', async () => {
    await setup();
    for (const id of ['acc_a', 'acc_b', 'acc_c']) await linkActive(id, 1);
    await onlineAgent('agt_1', 10);
    for (const id of ['ses_1', 'ses_2', 'ses_3', 'ses_4']) await start(id);
    const placed = await Promise.all(['ses_1', 'ses_2', 'ses_3'].map(starting));
    expect(new Set(placed.map((s) => (s as { accountId: string }).accountId))).toEqual(
      new Set(['acc_a', 'acc_b', 'acc_c']),
    );
    const waiting = await eventually('ses_4 waiting', async () => {
      const s = await sessionState('ses_4');
      return s.status === 'Queued' && s.queueReason !== null ? s : undefined;
    });
    expect(waiting).toMatchObject({
      queueReason: 'every anthropic account is at its concurrency limit',
      eta: null,
    });
  });

  it('while every account cools, a session waits with the ETA of the earliest reset and runs when it ends', async () => {
    await setup();
    await linkActive('acc_a');
    await linkActive('acc_b');
    await onlineAgent('agt_1');
    const soon = new Date(Date.now() + 2500).toISOString();
    const later = new Date(Date.now() + 60_000).toISOString();
    await account('acc_a', {
      type: 'RecordRateLimit',
      data: { until: soon, source: 'retry-after', sessionId: null },
    });
    await account('acc_b', {
      type: 'RecordRateLimit',
      data: { until: later, source: 'default', sessionId: null },
    });
    await start('ses_1');
    const queued = await eventually('ses_1 waiting', async () => {
      const s = await sessionState('ses_1');
      return s.status === 'Queued' && s.queueReason !== null ? s : undefined;
    });
    expect(queued).toMatchObject({ queueReason: 'every anthropic account is cooling down', eta: soon });
    const s = await starting('ses_1');
    expect(s).toMatchObject({ accountId: 'acc_a' });
    expect(await accountState('acc_a')).toMatchObject({ status: 'Active' });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(soon));
  });

  it('keeps a session queued while no agent is online and dispatches it when one registers', async () => {
    await setup();
    await linkActive('acc_a');
    await start('ses_1');
    await eventually('ses_1 waiting for an agent', async () => {
      const s = await sessionState('ses_1');
      return s.status === 'Queued' && s.queueReason === 'no agent online for anthropic';
    });
    await onlineAgent('agt_1');
    await starting('ses_1');
  });

  it('honours an explicit account, and fails the session when that account is Revoked', async () => {
    await setup();
    await linkActive('acc_a');
    await linkActive('acc_x');
    await onlineAgent('agt_1');
    await start('ses_pinned', 'acc_x');
    expect(await starting('ses_pinned')).toMatchObject({ accountId: 'acc_x' });
    await account('acc_x', { type: 'RevokeAccount', data: { reason: 'leaked' } });
    await start('ses_revoked', 'acc_x');
    const failed = await eventually('ses_revoked Failed', () =>
      inStatus(() => sessionState('ses_revoked'), 'Failed'),
    );
    expect(failed).toMatchObject({ reason: 'account acc_x is Revoked' });
  });

  it('requeues a session no agent starts once, then fails it with "no agent started the session"', async () => {
    await setup({ startTimeoutMs: 800 });
    await linkActive('acc_a');
    await onlineAgent('agt_1');
    await start('ses_1');
    const failed = await eventually('ses_1 Failed', () => inStatus(() => sessionState('ses_1'), 'Failed'));
    expect(failed).toMatchObject({ reason: 'no agent started the session', attempts: 2 });
    const { events } = await env!.ctx.eventStore.load({ workspace: WS, type: 'session', id: 'ses_1' });
    expect(events.map((e) => e.type)).toEqual([
      'SessionRequested',
      'SessionAssigned',
      'SessionRequeued',
      'SessionAssigned',
      'SessionFailed',
    ]);
  });

  it('marks a silent agent Offline: its session without output runs again, one with output fails "agent lost"', async () => {
    await setup({ agentSilenceMs: 1500 });
    await linkActive('acc_a');
    const silence = await onlineAgent('agt_lost');
    await start('ses_quiet');
    await start('ses_talked');
    for (const id of ['ses_quiet', 'ses_talked']) {
      await starting(id);
      await session(id, { type: 'MarkSessionStarted', data: { agentId: 'agt_lost', attempt: 1 } });
    }
    await env!.ctx.nats.js.publish(
      env!.ctx.topology.outputSubject(WS, 'ses_talked'),
      JSON.stringify({ seq: 1, stream: 'stdout', text: 'half an answer', at: new Date().toISOString() }),
    );
    await onlineAgent('agt_other');
    silence();
    await eventually('agt_lost Offline', () => inStatus(() => agentState('agt_lost'), 'Offline'));
    const failed = await eventually('ses_talked Failed', () =>
      inStatus(() => sessionState('ses_talked'), 'Failed'),
    );
    expect(failed).toMatchObject({ reason: 'agent lost' });
    const again = await starting('ses_quiet');
    expect(again).toMatchObject({ attempts: 2 });
    expect(await agentState('agt_other')).toMatchObject({ status: 'Online' });
  });

  it('a dispatcher restarted during a cooldown still ends it on time', async () => {
    const e = await setup();
    await linkActive('acc_a');
    const until = new Date(Date.now() + 2500).toISOString();
    await account('acc_a', {
      type: 'RecordRateLimit',
      data: { until, source: 'retry-after', sessionId: null },
    });
    await eventually(
      'the cooldown timer is set',
      async () =>
        await e.ctx.db
          .selectFrom('dispatch_timers')
          .select('kind')
          .where('kind', '=', 'cooldown_end')
          .executeTakeFirst(),
    );
    await e.dispatcher.stop();
    await new Promise((r) => setTimeout(r, 500));
    await e.start();
    await eventually('acc_a Active', () => inStatus(() => accountState('acc_a'), 'Active'), 10_000);
    const { events } = await e.ctx.eventStore.load({ workspace: WS, type: 'account', id: 'acc_a' });
    const ended = events.find((ev) => ev.type === 'AccountCooldownEnded')!;
    // On time: at the reset, not a lease or a default cooldown later.
    expect(Date.parse(ended.at)).toBeGreaterThanOrEqual(Date.parse(until));
    expect(Date.parse(ended.at) - Date.parse(until)).toBeLessThan(5000);
  });
});
