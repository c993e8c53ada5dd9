import type { AccountView, SessionView } from '@flywheel/schemas';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiClient, eventually, type Stack, startStack } from './testing/stack';

/**
 * The product end to end: gateway, projector, dispatcher and an agent as the child processes
 * `make up` runs, on real NATS and Postgres, with the provider emulator behind every account.
 * Each test uses its own workspace, so their accounts never meet.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { DISPATCH_START_TIMEOUT_MS: '30000', AGENT_MAX_CONCURRENT: '8' } });
}, 120_000);
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(stack.logs()));
});
afterAll(async () => {
  await stack?.dispose();
});

interface HistoryEvent {
  readonly type: string;
  readonly at: string;
  readonly data: Record<string, unknown>;
}

async function link(api: ApiClient, label: string, key: string, maxConcurrent = 4): Promise<string> {
  const res = await api.post<AccountView>('/accounts', {
    provider: 'anthropic',
    label,
    apiKey: key,
    baseUrl: stack.emulator.baseUrl('anthropic'),
    maxConcurrent,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

const account = async (api: ApiClient, id: string) => (await api.get<AccountView>(`/accounts/${id}`)).body;
const session = async (api: ApiClient, id: string) => (await api.get<SessionView>(`/sessions/${id}`)).body;
const history = async (api: ApiClient, id: string) =>
  (await api.get<{ events: HistoryEvent[] }>(`/sessions/${id}/events`)).body.events;

async function accountIn(
  api: ApiClient,
  id: string,
  status: string,
  timeoutMs?: number,
): Promise<AccountView> {
  return eventually(
    `account ${id} ${status}`,
    async () => {
      const a = await account(api, id);
      return a.status === status ? a : undefined;
    },
    timeoutMs,
  );
}

async function startSession(api: ApiClient, prompt: string, accountId?: string): Promise<string> {
  const res = await api.post<{ id: string }>('/sessions', {
    provider: 'anthropic',
    prompt,
    ...(accountId ? { accountId } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id;
}

async function finished(api: ApiClient, id: string, timeoutMs = 30_000): Promise<SessionView> {
  return eventually(
    `session ${id} to finish`,
    async () => {
      const s = await session(api, id);
      return ['Completed', 'Failed', 'Cancelled'].includes(s.status) ? s : undefined;
    },
    timeoutMs,
  );
}

describe('sessions end to end', () => {
  it('a session runs to Completed with all its output, in order, retrievable by the API', async () => {
    const api = await stack.api('e2e-output');
    const text = Array.from({ length: 40 }, (_, i) => `line ${i + 1} of the answer\n`);
    stack.emulator.script('key-output', { text, latencyMs: 5 });
    const accountId = await link(api, 'main', 'key-output');
    await accountIn(api, accountId, 'Active');
    const id = await startSession(api, 'Write forty numbered lines');
    const done = await finished(api, id);
    expect(done).toMatchObject({ status: 'Completed', accountId, attempts: 1 });

    const chunks: { seq: number; text: string }[] = [];
    await eventually('all output through the API', async () => {
      const page = await api.get<{ chunks: { seq: number; text: string }[]; nextAfter: number }>(
        `/sessions/${id}/output?after=${chunks.at(-1)?.seq ?? 0}&limit=5`,
      );
      expect(page.status).toBe(200);
      chunks.push(...page.body.chunks);
      return chunks.map((c) => c.text).join('') === text.join('');
    });
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i + 1));
    expect(done.outputChunks).toBe(chunks.length);
  });

  it('a 429 on account A puts A in Cooldown until the provider reset; the session completes on B; A returns at the reset', async () => {
    const api = await stack.api('e2e-failover');
    // Only the reset headers, so the cooldown must end exactly at the reset the provider named.
    stack.emulator.script('key-a-limited', {
      rateLimit: { afterCalls: 0, resetSeconds: 3, signals: 'reset' },
    });
    const a = await link(api, 'A', 'key-a-limited');
    const b = await link(api, 'B', 'key-b-fine');
    await accountIn(api, a, 'Active');
    await accountIn(api, b, 'Active');

    // Rotation sends one of these to A first (both accounts are unused and idle).
    const ids = [await startSession(api, 'first'), await startSession(api, 'second')];
    const cooling = await accountIn(api, a, 'Cooldown');
    const limited = stack.emulator.calls.find((c) => c.key === 'key-a-limited' && c.status === 429)!;
    expect(cooling.cooldown!.until).toBe(
      new Date(limited.responseHeaders['anthropic-ratelimit-requests-reset']!).toISOString(),
    );

    for (const id of ids)
      expect(await finished(api, id)).toMatchObject({ status: 'Completed', accountId: b });
    const failedOver = await Promise.all(ids.map((id) => history(api, id)));
    const onA = failedOver.find((events) => events.some((e) => e.type === 'SessionRequeued'))!;
    expect(onA.map((e) => e.type)).toEqual([
      'SessionRequested',
      'SessionAssigned',
      'SessionStarted',
      'SessionRequeued',
      'SessionAssigned',
      'SessionStarted',
      'SessionCompleted',
    ]);
    expect(onA[1]!.data).toMatchObject({ accountId: a, attempt: 1 });
    expect(onA[3]!.data).toMatchObject({ failedAccountId: a });
    expect(onA[4]!.data).toMatchObject({ accountId: b, attempt: 2 });

    await accountIn(api, a, 'Active', 10_000);
    const { events } = await stack.ctx.eventStore.load({ workspace: 'e2e-failover', type: 'account', id: a });
    const ended = events.find((e) => e.type === 'AccountCooldownEnded')!;
    expect(Date.parse(ended.at)).toBeGreaterThanOrEqual(Date.parse(cooling.cooldown!.until));
    // At the reset, not a minute later (the default cooldown) or after a timer lease expired.
    expect(Date.parse(ended.at) - Date.parse(cooling.cooldown!.until)).toBeLessThan(5000);
  });

  it('while every account cools, new sessions wait Queued with an ETA, then all complete after the reset', async () => {
    const api = await stack.api('e2e-cooling');
    for (const key of ['key-cooling-1', 'key-cooling-2'])
      stack.emulator.script(key, { rateLimit: { afterCalls: 0, resetSeconds: 4 } });
    const accounts = [await link(api, 'C1', 'key-cooling-1'), await link(api, 'C2', 'key-cooling-2')];
    for (const id of accounts) await accountIn(api, id, 'Active');

    const first = await startSession(api, 'hits the limit');
    const resets = await Promise.all(
      accounts.map(async (id) => (await accountIn(api, id, 'Cooldown')).cooldown!.until),
    );
    // The provider serves again once its windows reset, as a real one does.
    for (const key of ['key-cooling-1', 'key-cooling-2']) stack.emulator.script(key, {});

    const fresh = [await startSession(api, 'new one'), await startSession(api, 'another new one')];
    const earliest = resets.reduce((x, y) => (Date.parse(x) <= Date.parse(y) ? x : y));
    for (const id of fresh) {
      const waiting = await eventually(`session ${id} waiting with an ETA`, async () => {
        const s = await session(api, id);
        return s.status === 'Queued' && s.eta !== null ? s : undefined;
      });
      expect(waiting).toMatchObject({
        queueReason: 'every anthropic account is cooling down',
        eta: earliest,
      });
    }

    for (const id of [first, ...fresh])
      expect(await finished(api, id)).toMatchObject({ status: 'Completed' });
    for (const id of fresh) {
      const assigned = (await history(api, id)).find((e) => e.type === 'SessionAssigned')!;
      expect(Date.parse(assigned.at)).toBeGreaterThanOrEqual(Date.parse(earliest));
    }
  });

  it('an invalid key puts its account in Error; a 529 burst causes no cooldown and the session completes', async () => {
    const api = await stack.api('e2e-errors');
    stack.emulator.script('key-invalid', { reject: 'invalid_key' });
    stack.emulator.script('key-overloaded', { transientErrors: { status: 529, count: 2 } });
    const invalid = await link(api, 'invalid', 'key-invalid');
    const overloaded = await link(api, 'overloaded', 'key-overloaded');

    const errored = await accountIn(api, invalid, 'Error');
    expect(errored.error).toMatchObject({
      code: 'invalid_credential',
      reason: expect.stringContaining('invalid x-api-key'),
    });

    await accountIn(api, overloaded, 'Active');
    const id = await startSession(api, 'survive the overload');
    expect(await finished(api, id)).toMatchObject({
      status: 'Completed',
      accountId: overloaded,
      attempts: 1,
    });
    const calls = stack.emulator.calls.filter((c) => c.key === 'key-overloaded' && c.path === '/v1/messages');
    expect(calls.map((c) => c.status)).toEqual([529, 529, 200]);
    const { events } = await stack.ctx.eventStore.load({
      workspace: 'e2e-errors',
      type: 'account',
      id: overloaded,
    });
    expect(events.map((e) => e.type)).not.toContain('AccountRateLimited');
    expect((await account(api, overloaded)).status).toBe('Active');
  });

  it('a dispatcher restarted during a cooldown still returns the account to Active on time', async () => {
    const api = await stack.api('e2e-restart');
    stack.emulator.script('key-restart', { rateLimit: { afterCalls: 0, resetSeconds: 5 } });
    const id = await link(api, 'R', 'key-restart');
    await accountIn(api, id, 'Active');
    const sessionId = await startSession(api, 'meets the limit');
    const until = (await accountIn(api, id, 'Cooldown')).cooldown!.until;
    stack.emulator.script('key-restart', {});

    await stack.services.get('dispatcher')!.stop('SIGKILL');
    await stack.start('dispatcher');

    await accountIn(api, id, 'Active', 15_000);
    const { events } = await stack.ctx.eventStore.load({ workspace: 'e2e-restart', type: 'account', id });
    const ended = events.find((e) => e.type === 'AccountCooldownEnded')!;
    expect(Date.parse(ended.at)).toBeGreaterThanOrEqual(Date.parse(until));
    expect(Date.parse(ended.at) - Date.parse(until)).toBeLessThan(5000);
    expect(await finished(api, sessionId)).toMatchObject({ status: 'Completed', accountId: id });
  });
});
