import { createTestContext, type TestContext } from '@flywheel/core/testing';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

let ctx: TestContext;
let t: TestApp;
beforeAll(async () => {
  ctx = await createTestContext();
  // Trace level: whatever the gateway could log, it does log here.
  t = await createTestApp(ctx, { logLevel: 'trace' });
});
afterAll(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

const API_KEY = 'sk-ant-api03-KNOWN-SECRET-9f8e7d6c5b4a39281706f5e4d3c2b1a0';

/** Every message of the EVENTS stream, headers and payload, as text. */
async function wholeEventsStream(): Promise<string[]> {
  const consumer = await ctx.nats.js.consumers.get(ctx.topology.events.stream, {
    deliver_policy: DeliverPolicy.All,
  });
  const total = (await ctx.nats.jsm.streams.info(ctx.topology.events.stream)).state.messages;
  const out: string[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push(
      `${m.subject} ${JSON.stringify(m.headers ? [...m.headers.keys()].map((k) => m.headers?.get(k)) : [])} ${m.string()}`,
    );
    if (m.info.pending === 0) break;
  }
  expect(out.length).toBe(total);
  return out;
}

async function answersRecorded(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const pending = await ctx.db
      .selectFrom('idempotency_keys')
      .select('status')
      .where('status', '=', 'pending')
      .execute();
    if (pending.length === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('never lets a linked account key reach the event stream, the logs or any response', async () => {
  const responses: LightMyRequestResponse[] = [];
  const admin = { authorization: `Bearer ${await t.token('admin', 'acme')}` };
  const call = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: object,
    headers: Record<string, string> = admin,
  ) => {
    const res = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    responses.push(res);
    return res;
  };

  const linked = await call(
    'POST',
    '/api/v1/accounts',
    {
      provider: 'anthropic',
      label: 'leak test',
      apiKey: API_KEY,
      baseUrl: 'https://proxy.example.com',
    },
    { ...admin, 'idempotency-key': 'link-1' },
  );
  expect(linked.statusCode).toBe(201);
  const id = linked.json().id as string;
  expect(linked.json().fingerprint).toMatch(/^sk-ant-…[0-9a-f]{12}$/);
  // A replay, a link the schema refuses because of the key, and the key where it does not belong.
  await call(
    'POST',
    '/api/v1/accounts',
    { provider: 'anthropic', label: 'leak test', apiKey: API_KEY, baseUrl: 'https://proxy.example.com' },
    { ...admin, 'idempotency-key': 'link-1' },
  );
  await call('POST', '/api/v1/accounts', {
    provider: 'anthropic',
    label: 'x',
    apiKey: `${API_KEY} with spaces`,
  });
  await call('POST', '/api/v1/accounts', { provider: 'nope', label: 'x', apiKey: API_KEY, extra: API_KEY });
  await call('POST', '/api/v1/sessions', { provider: 'anthropic', prompt: 'p', [API_KEY]: 1 });
  await call('GET', `/api/v1/accounts/${id}?token=${API_KEY}`, undefined, {});
  await call('GET', `/api/v1/accounts/${id}`, undefined, { authorization: `Bearer ${API_KEY}` });
  await call('GET', `/api/v1/accounts/${id}`);
  await call('POST', `/api/v1/accounts/${id}/verify`);
  const ses = await call('POST', '/api/v1/sessions', {
    provider: 'anthropic',
    prompt: 'use it',
    accountId: id,
  });
  await call('GET', `/api/v1/sessions/${ses.json().id}/events`);
  await call('POST', `/api/v1/sessions/${ses.json().id}/cancel`);
  await call('DELETE', `/api/v1/accounts/${id}`);
  await call('GET', `/api/v1/accounts/${id}`);
  await call('GET', '/api/v1/openapi.json');

  // The vault really holds it (encrypted), so the searches below are meaningful.
  expect(await t.app.deps.vault.reveal('acme', linked.json().id).catch((e: Error) => e.message)).toMatch(
    /destroyed when the account was revoked/,
  );

  const events = await wholeEventsStream();
  expect(events.length).toBeGreaterThanOrEqual(4);
  expect(events.filter((e) => e.includes(API_KEY))).toEqual([]);
  expect(events.some((e) => e.includes(linked.json().fingerprint))).toBe(true);

  expect(t.logs.length).toBeGreaterThan(20);
  expect(t.logs.filter((l) => l.includes(API_KEY))).toEqual([]);
  // The fragment of the key that the ?token= attempt put in the URL is redacted too.
  expect(t.logs.some((l) => l.includes('token=[redacted]'))).toBe(true);

  const leaking = responses.filter(
    (r) => r.body.includes(API_KEY) || JSON.stringify(r.headers).includes(API_KEY),
  );
  expect(leaking.map((r) => r.body)).toEqual([]);

  // Answers are recorded as they go out; wait for the last one before searching them.
  await answersRecorded();
  const stored = await ctx.db.selectFrom('idempotency_keys').select('response_body').execute();
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.filter((r) => r.response_body?.includes(API_KEY))).toEqual([]);
  const sealed = await ctx.db.selectFrom('account_credentials').select('secret_sealed').execute();
  expect(sealed).toHaveLength(1);
  expect(sealed[0]!.secret_sealed.includes(Buffer.from(API_KEY))).toBe(false);
});
