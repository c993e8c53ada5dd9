import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  type AccountState,
  type AgentState,
  accountEvolver,
  agentEvolver,
  createLogger,
  createVault,
  mintAgentToken,
  type SessionState,
  type StreamRef,
  sessionEvolver,
} from '@flywheel/core';
import { createTestContext, sessionRequested, type TestContext } from '@flywheel/core/testing';
import {
  AGENT_DRAINING_REASON,
  AGENTS_WORKSPACE,
  type AgentRpcOp,
  type DomainEvent,
} from '@flywheel/schemas';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentBridge, startAgentBridge } from './agent-bridge';
import { createAgentHandlers } from './agent-bridge.handlers';

const SECRET = 'bridge-test-secret-bridge-test-secret-01';
const WS = 'acme';
const API_KEY = 'sk-ant-api03-bridge-test-key-never-logged-0123456789';

let ctx: TestContext;
let bridge: AgentBridge;
const logLines: string[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  const vault = createVault(ctx.db, Buffer.from(ctx.env.GATEWAY_MASTER_KEY!, 'hex'));
  const logger = createLogger(
    'gateway',
    'debug',
    new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  bridge = startAgentBridge({
    nats: ctx.nats,
    topology: ctx.topology,
    handlers: createAgentHandlers({ eventStore: ctx.eventStore, vault, logger }),
    jwtSecret: SECRET,
    logger,
  });
  await linkAccount('acc_a', 'Team key A');
  await linkAccount('acc_b', 'Team key B');
  await vault.store(WS, 'acc_a', API_KEY);
  for (const agentId of ['agent-a', 'agent-b']) {
    expect(await register(agentId)).toMatchObject({ ok: true });
  }
});
afterAll(async () => {
  await bridge?.stop();
  await ctx?.dispose();
});

const opts = (commandId = randomUUID()) => ({
  commandId,
  actor: { kind: 'system' as const, id: 'test' },
  correlationId: commandId,
  now: new Date(),
});
const sessionRef = (id: string): StreamRef => ({ workspace: WS, type: 'session', id });
const accountRef = (id: string): StreamRef => ({ workspace: WS, type: 'account', id });

async function append(ref: StreamRef, events: DomainEvent[]) {
  const version = await ctx.eventStore.version(ref);
  await ctx.eventStore.append(ref, version, events, opts());
}

async function linkAccount(id: string, label: string) {
  await append(accountRef(id), [
    {
      type: 'AccountLinked',
      data: {
        provider: 'anthropic',
        label,
        authType: 'api_key',
        fingerprint: 'fp',
        baseUrl: 'https://proxy.example.com',
        maxConcurrent: 5,
      },
    },
    { type: 'AccountVerified', data: {} },
  ]);
}

/** Plays the dispatcher: a requested session assigned to `accountId` (attempt 1). */
async function dispatched(accountId = 'acc_a'): Promise<string> {
  const id = `ses_${randomUUID().slice(0, 8)}`;
  await append(sessionRef(id), [
    sessionRequested('hello'),
    { type: 'SessionAssigned', data: { accountId, attempt: 1 } },
  ]);
  return id;
}

async function fold<S>(
  ref: StreamRef,
  evolver: { initialState(): S; evolve(s: S, e: never): S },
): Promise<S> {
  const loaded = await ctx.eventStore.load(ref);
  return loaded.events.reduce((s, e) => evolver.evolve(s, e as never), evolver.initialState());
}
const session = (id: string) => fold<SessionState>(sessionRef(id), sessionEvolver);
const account = (id: string) => fold<AccountState>(accountRef(id), accountEvolver);
const agent = (id: string) =>
  fold<AgentState>({ workspace: AGENTS_WORKSPACE, type: 'agent', id }, agentEvolver);

interface Reply {
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly [key: string]: unknown;
}

/** Sends a raw request as any agent would; `token` overrides the agent's own token. */
async function send(
  op: AgentRpcOp | string,
  agentId: string,
  body: Record<string, unknown>,
  extra: { token?: string; requestId?: string } = {},
): Promise<Reply> {
  const token = extra.token ?? (await mintAgentToken(SECRET, agentId));
  const payload = { agentId, token, requestId: extra.requestId ?? randomUUID(), ...body };
  const msg = await ctx.nats.nc.request(ctx.topology.subject('rpc', 'agent', op), JSON.stringify(payload), {
    timeout: 5_000,
  });
  return msg.json<Reply>();
}

const register = (agentId: string) =>
  send('register', agentId, { name: agentId, providers: ['anthropic'], maxConcurrent: 4, version: '0.1.0' });
const ref = (sessionId: string, attempt = 1) => ({ workspace: WS, sessionId, attempt });

describe('agent bridge: who may act on a session', () => {
  it('binds the session to the agent that starts it; no other agent may start, complete, fail or lease it', async () => {
    const id = await dispatched();
    expect(await send('started', 'agent-a', ref(id))).toMatchObject({ ok: true });
    expect(await session(id)).toMatchObject({ status: 'Running', agentId: 'agent-a' });

    for (const [op, body] of [
      ['started', ref(id)],
      ['lease', ref(id)],
      ['completed', { ...ref(id), outputChunks: 0, inputTokens: null, outputTokens: null }],
      ['failed', { ...ref(id), reason: 'x', retryable: false }],
      [
        'outcome',
        { ...ref(id), outcome: { kind: 'credential_rejected', code: 'invalid_credential', reason: 'x' } },
      ],
    ] as const) {
      const reply = await send(op, 'agent-b', body);
      expect(reply, op).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(await session(id)).toMatchObject({ status: 'Running', agentId: 'agent-a' });
    expect((await account('acc_a')).status).toBe('Active');
  });

  it('refuses a stale attempt and a session that was never dispatched', async () => {
    const id = await dispatched();
    expect(await send('started', 'agent-a', ref(id, 2))).toMatchObject({
      ok: false,
      error: { code: 'invalid_transition', message: expect.stringContaining('stale') },
    });
    expect(await send('started', 'agent-a', ref('ses_nothing'))).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await send('lease', 'agent-a', ref(id))).toMatchObject({
      ok: false,
      error: { code: 'invalid_transition' },
    });
  });

  it('answers a start repeated by the same agent (lost reply, redelivered item) without a second event', async () => {
    const id = await dispatched();
    expect(await send('started', 'agent-a', ref(id))).toMatchObject({ ok: true });
    const before = await ctx.eventStore.version(sessionRef(id));
    expect(await send('started', 'agent-a', ref(id))).toMatchObject({ ok: true, version: before });
    expect(await ctx.eventStore.version(sessionRef(id))).toBe(before);
  });

  it('leases the credential only to the running agent, briefly, and never logs it', async () => {
    const id = await dispatched();
    await send('started', 'agent-a', ref(id));
    const lease = await send('lease', 'agent-a', ref(id));
    expect(lease).toMatchObject({
      ok: true,
      secret: API_KEY,
      kind: 'api_key',
      baseUrl: 'https://proxy.example.com',
    });
    const ttl = Date.parse(lease.expiresAt as string) - Date.now();
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000);
    expect(logLines.some((l) => l.includes('credential leased'))).toBe(true);
    expect(logLines.filter((l) => l.includes(API_KEY))).toEqual([]);
    const events = await ctx.eventStore.load(sessionRef(id));
    expect(JSON.stringify(events)).not.toContain(API_KEY);
  });

  it('completes once, and answers a retried completion (same request id) with the same commit', async () => {
    const id = await dispatched();
    await send('started', 'agent-a', ref(id));
    const body = { ...ref(id), outputChunks: 7, inputTokens: 10, outputTokens: 20 };
    const first = await send('completed', 'agent-a', body, { requestId: 'complete-1' });
    expect(first).toMatchObject({ ok: true });
    const retry = await send('completed', 'agent-a', body, { requestId: 'complete-1' });
    expect(retry).toEqual(first);
    expect(await session(id)).toMatchObject({ status: 'Completed', outputChunks: 7, agentId: 'agent-a' });
    // A new request (not a retry) to complete a completed session is refused.
    expect(await send('completed', 'agent-a', body)).toMatchObject({
      ok: false,
      error: { code: 'invalid_transition' },
    });
  });
});

describe('agent bridge: failover', () => {
  it('rate limited: the account cools down until the reset, then the session goes back to the queue', async () => {
    const id = await dispatched('acc_b');
    await send('started', 'agent-a', ref(id));
    const until = new Date(Date.now() + 90_000).toISOString();
    const body = {
      ...ref(id),
      outcome: { kind: 'rate_limited', until, source: 'retry-after', message: '429' },
    };
    expect(await send('outcome', 'agent-a', body, { requestId: 'limit-1' })).toMatchObject({ ok: true });
    expect(await account('acc_b')).toMatchObject({ status: 'Cooldown', until, source: 'retry-after' });
    expect(await session(id)).toMatchObject({
      status: 'Queued',
      queueReason: 'rate limited on Team key B',
      failedAccountIds: ['acc_b'],
    });
    // The account's commit comes first, so the dispatcher never sees the session back
    // while the account still looks Active.
    const accountSeq = (await ctx.eventStore.load(accountRef('acc_b'))).version;
    const sessionSeq = (await ctx.eventStore.load(sessionRef(id))).version;
    expect(accountSeq).toBeLessThan(sessionSeq);

    // The agent's retry of the same request changes nothing.
    expect(await send('outcome', 'agent-a', body, { requestId: 'limit-1' })).toMatchObject({ ok: true });
    expect((await ctx.eventStore.load(sessionRef(id))).version).toBe(sessionSeq);
    expect((await ctx.eventStore.load(accountRef('acc_b'))).version).toBe(accountSeq);
  });

  it('credential rejected: the account goes to Error with the reason, the session is re-queued', async () => {
    await linkAccount('acc_c', 'Team key C');
    const id = await dispatched('acc_c');
    await send('started', 'agent-a', ref(id));
    const outcome = { kind: 'credential_rejected', code: 'invalid_credential', reason: 'invalid x-api-key' };
    expect(await send('outcome', 'agent-a', { ...ref(id), outcome })).toMatchObject({ ok: true });
    expect(await account('acc_c')).toMatchObject({
      status: 'Error',
      code: 'invalid_credential',
      reason: 'invalid x-api-key',
    });
    expect(await session(id)).toMatchObject({ status: 'Queued', failedAccountIds: ['acc_c'] });
  });

  it('a retryable failure re-queues the session; a final one fails it with the reason', async () => {
    const handedBack = await dispatched();
    await send('started', 'agent-a', ref(handedBack));
    const back = { ...ref(handedBack), reason: AGENT_DRAINING_REASON, retryable: true };
    expect(await send('failed', 'agent-a', back)).toMatchObject({ ok: true });
    expect(await session(handedBack)).toMatchObject({ status: 'Queued', queueReason: AGENT_DRAINING_REASON });

    const broken = await dispatched();
    await send('started', 'agent-a', ref(broken));
    const fail = { ...ref(broken), reason: 'the model refused the prompt', retryable: false };
    expect(await send('failed', 'agent-a', fail)).toMatchObject({ ok: true });
    expect(await session(broken)).toMatchObject({ status: 'Failed', reason: 'the model refused the prompt' });
  });
});

describe('agent bridge: agents', () => {
  it('a draining agent starts no new session but may finish the one it runs; registering again resumes it', async () => {
    expect(await register('agent-d')).toMatchObject({ ok: true });
    const running = await dispatched();
    await send('started', 'agent-d', ref(running));
    expect(await send('drain', 'agent-d', {})).toMatchObject({ ok: true });
    expect(await send('drain', 'agent-d', {})).toMatchObject({ ok: true });
    expect((await agent('agent-d')).status).toBe('Draining');

    const fresh = await dispatched();
    expect(await send('started', 'agent-d', ref(fresh))).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringContaining('draining') },
    });
    const done = { ...ref(running), outputChunks: 0, inputTokens: null, outputTokens: null };
    expect(await send('completed', 'agent-d', done)).toMatchObject({ ok: true });

    expect(await register('agent-d')).toMatchObject({ ok: true });
    expect((await agent('agent-d')).status).toBe('Online');
    expect(await send('started', 'agent-d', ref(fresh))).toMatchObject({ ok: true });
  });

  it('refuses an unregistered agent and an agent that did not register for the provider', async () => {
    const id = await dispatched();
    expect(await send('started', 'agent-nobody', ref(id))).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringContaining('not registered') },
    });
    await send('register', 'agent-openai', {
      name: 'o',
      providers: ['openai'],
      maxConcurrent: 1,
      version: '1',
    });
    expect(await send('started', 'agent-openai', ref(id))).toMatchObject({
      ok: false,
      error: { code: 'forbidden', message: expect.stringContaining('anthropic') },
    });
  });
});

describe('agent bridge: bad requests never crash it', () => {
  it('refuses tokens that do not prove the agent', async () => {
    const id = await dispatched();
    const key = new TextEncoder().encode(SECRET);
    const userToken = await new SignJWT({ role: 'admin', ws: WS })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('agent-a')
      .setExpirationTime('1h')
      .sign(key);
    const cases: [string, string][] = [
      ['token of another agent', await mintAgentToken(SECRET, 'agent-b')],
      ['user token', userToken],
      ['wrong secret', await mintAgentToken('another-secret-another-secret-00000', 'agent-a')],
      ['garbage', 'not-a-jwt'],
    ];
    for (const [name, token] of cases) {
      expect(await send('started', 'agent-a', ref(id), { token }), name).toMatchObject({
        ok: false,
        error: { code: 'unauthorized' },
      });
    }
    expect((await session(id)).status).toBe('Starting');
  });

  it('names each bad field, and answers unknown ops and non-JSON bodies', async () => {
    const reply = await send('started', 'agent-a', { workspace: 'a.b', sessionId: '', attempt: 0 });
    expect(reply).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    expect(reply.error!.message).toMatch(/workspace/);
    expect(reply.error!.message).toMatch(/sessionId/);
    expect(reply.error!.message).toMatch(/attempt/);
    expect(await send('explode', 'agent-a', {})).toMatchObject({
      ok: false,
      error: { code: 'validation_failed' },
    });
    const raw = await ctx.nats.nc.request(ctx.topology.subject('rpc', 'agent', 'lease'), '{not json', {
      timeout: 5_000,
    });
    expect(raw.json()).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
  });
});
