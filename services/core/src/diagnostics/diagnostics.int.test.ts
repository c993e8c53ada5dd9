import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AckPolicy } from '@nats-io/jetstream';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config';
import { projectionConsumerName } from '../read-models';
import { createTestContext, type TestContext } from '../testing';
import type { CheckResult } from './check';
import { runDiagnostics } from './diagnostics';
import { checkWebSocket } from './http-checks';
import { checkProjections } from './projection-checks';
import { checkToken } from './token-check';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.dispose();
});

const find = (rs: readonly CheckResult[], area: string, name: string) =>
  rs.find((r) => r.area === area && r.name === name);
const secondsAgo = (s: number) => new Date(Date.now() - s * 1000);

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ url: string; close: () => void }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe('make diagnostics', () => {
  it('explains "Unable to connect to server" when the gateway does not answer', async () => {
    const config = loadConfig(ctx.env);
    const results = await runDiagnostics(config, { gatewayUrl: 'http://127.0.0.1:9' });
    const health = find(results, 'gateway', 'health')!;
    expect(health.status).toBe('fail');
    expect(health.symptom).toBe('Unable to connect to server');
    expect(health.fix).toContain('start the stack: make up');
    // Infrastructure is still checked.
    expect(find(results, 'nats', 'streams')?.status).toBe('ok');
    expect(find(results, 'postgres', 'migrations')?.status).toBe('ok');
  });

  it('explains "WebSocket connection failed" when /ws does not upgrade (a proxy dropping Upgrade)', async () => {
    const plain = await listen((_req, res) => {
      res.writeHead(404).end();
    });
    const result = await checkWebSocket(plain.url);
    plain.close();
    expect(result.status).toBe('fail');
    expect(result.symptom).toBe('WebSocket connection failed');
    expect(result.fix?.join(' ')).toContain('proxy_set_header Upgrade');
  });

  it('explains "Invalid token": another secret, expired, or not a token', async () => {
    const secret = 'x'.repeat(40);
    const sign = (key: string, exp: number) =>
      new SignJWT({ ws: 'acme', role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('ann')
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(key));
    const now = Math.floor(Date.now() / 1000);
    expect((await checkToken(secret, await sign(secret, now + 600))).status).toBe('ok');
    expect((await checkToken(secret, await sign('y'.repeat(40), now + 600))).detail).toMatch(
      /different secret/,
    );
    expect((await checkToken(secret, await sign(secret, now - 600))).detail).toMatch(/^expired at/);
    const garbage = await checkToken(secret, 'not-a-token');
    expect(garbage).toMatchObject({ status: 'fail', symptom: 'Invalid token' });
  });

  it('finds stuck, cooling, failed and expired things and names the guide symptom for each', async () => {
    const ws = 'acme';
    const base = {
      workspace: ws,
      created_seq: 1,
      last_seq: 1,
      created_at: secondsAgo(600),
      updated_at: secondsAgo(300),
    };
    const account = {
      ...base,
      provider: 'anthropic',
      auth_type: 'api_key',
      fingerprint: 'fp',
      max_concurrent: 2,
    };
    await ctx.db
      .insertInto('accounts')
      .values([
        {
          ...account,
          id: 'acc_err',
          label: 'broken',
          status: 'Error',
          error_code: 'invalid_credential',
          error_reason: 'invalid x-api-key',
        },
        {
          ...account,
          id: 'acc_cool',
          label: 'busy',
          status: 'Cooldown',
          cooldown_until: new Date(Date.now() + 60_000),
          cooldown_source: 'retry-after',
        },
        {
          ...account,
          id: 'acc_exp',
          label: 'oauth',
          auth_type: 'oauth',
          status: 'Expired',
          expired_cause: 'refresh token revoked',
        },
      ])
      .execute();
    const session = {
      ...base,
      provider: 'anthropic',
      model: null,
      prompt: 'p',
      prompt_preview: 'p',
      attempts: 1,
      max_attempts: 3,
      failed_account_ids: JSON.stringify([]),
      metadata: JSON.stringify({}),
      queued_at: secondsAgo(600),
      // Diagnostics never read the list item.
      item: '{}',
    };
    await ctx.db
      .insertInto('sessions')
      .values([
        {
          ...session,
          id: 'ses_stuck',
          status: 'Starting',
          account_id: 'acc_cool',
          assigned_at: secondsAgo(120),
        },
        {
          ...session,
          id: 'ses_wait',
          status: 'Queued',
          queue_reason: 'every anthropic account is cooling down',
          queue_eta: new Date(Date.now() + 60_000),
        },
        {
          ...session,
          id: 'ses_fail',
          status: 'Failed',
          reason: 'gave up after 3 attempts: rate limited',
          finished_at: secondsAgo(30),
        },
      ] as never)
      .execute();

    const results = await runDiagnostics(loadConfig(ctx.env), { gatewayUrl: 'http://127.0.0.1:9' });
    const symptoms = results.filter((r) => r.symptom).map((r) => `${r.area}/${r.name}: ${r.symptom}`);
    expect(symptoms).toEqual(
      expect.arrayContaining([
        "agents/online: Session stuck in 'Starting' state",
        'accounts/errors: Account verification failed',
        'accounts/cooldown: Rate limit exceeded',
        'accounts/expired: Tokens expired',
        "sessions/starting: Session stuck in 'Starting' state",
        'sessions/failed: Session failed immediately',
      ]),
    );
    expect(find(results, 'accounts', 'anthropic capacity')?.status).toBe('fail');
    expect(find(results, 'accounts', 'errors')?.detail).toContain('invalid x-api-key');
    expect(find(results, 'sessions', 'queued')?.detail).toContain('every anthropic account is cooling down');
    expect(find(results, 'sessions', 'starting')?.detail).toContain('ses_stuck');
    // No projector runs in this test: every read model is reported as not being projected.
    expect(find(results, 'projections', 'sessions')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('no consumer'),
    });
  });

  it('shows the newest dead letter of a projection, so the error is read without psql', async () => {
    await ctx.nats.jsm.consumers.add(ctx.topology.events.stream, {
      durable_name: projectionConsumerName('accounts'),
      ack_policy: AckPolicy.All,
    });
    const letter = { projection: 'accounts', payload: JSON.stringify({}) };
    await ctx.db
      .insertInto('dead_letters')
      .values([
        {
          ...letter,
          stream_seq: 7,
          event_type: 'AccountCooledDown',
          error: `no account acc_1: ${'x'.repeat(300)}`,
        },
        { ...letter, stream_seq: 3, event_type: 'AccountLinked', error: 'older' },
      ])
      .execute();
    const results = await checkProjections(
      { db: ctx.db, jsm: ctx.nats.jsm, topology: ctx.topology },
      loadConfig(ctx.env),
    );
    const accounts = find(results, 'projections', 'accounts')!;
    expect(accounts.status).toBe('warn');
    expect(accounts.detail).toContain(
      `2 event(s) in dead_letters, newest at 7 (AccountCooledDown): no account acc_1: ${'x'.repeat(182)}…;`,
    );
    expect(accounts.detail).not.toContain('x'.repeat(183));
    expect(accounts.fix).toContain('after a fix, rebuild: make replay PROJECTION=accounts');
    expect(find(results, 'projections', 'agents')?.status).toBe('fail');
  });
});
