import { createTestContext, type TestContext } from '@flywheel/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

let ctx: TestContext;
let t: TestApp;
let admin: Record<string, string>;
beforeAll(async () => {
  ctx = await createTestContext();
  t = await createTestApp(ctx);
  admin = { authorization: `Bearer ${await t.token('admin', 'acme')}` };
});
afterAll(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

const link = (body: object = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/accounts',
    headers: admin,
    payload: { provider: 'openai', label: 'CI pool', apiKey: 'sk-proj-0123456789abcdef0123456789', ...body },
  });

describe('accounts', () => {
  it('links an API-key account: 201, Verifying, a fingerprint, and the key in the vault', async () => {
    const res = await link({ baseUrl: 'https://llm-proxy.internal:8443', maxConcurrent: 12 });
    expect(res.statusCode).toBe(201);
    const view = res.json();
    expect(view).toMatchObject({
      provider: 'openai',
      label: 'CI pool',
      authType: 'api_key',
      status: 'Verifying',
      baseUrl: 'https://llm-proxy.internal:8443',
      maxConcurrent: 12,
      error: null,
      cooldown: null,
    });
    expect(view.id).toMatch(/^acc_[0-9a-z]{26}$/);
    expect(view.fingerprint).toMatch(/^sk-proj-…[0-9a-f]{12}$/);
    expect(view.streamSeq).toBeGreaterThan(0);
    expect(res.headers.location).toBe(`/api/v1/accounts/${view.id}`);
    expect(await t.app.deps.vault.reveal('acme', view.id)).toBe('sk-proj-0123456789abcdef0123456789');
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${view.id}`, headers: admin });
    // The read model adds how busy the account is and when it changed.
    expect(read.json()).toMatchObject(view);
  });

  it('defaults maxConcurrent and names each bad field', async () => {
    expect((await link()).json().maxConcurrent).toBe(4);
    const bad = await link({
      provider: 'acme-ai',
      apiKey: 'has spaces in it',
      baseUrl: 'ftp://x',
      maxConcurrent: 0,
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.details.issues.map((i: { path: string }) => i.path)
        .sort(),
    ).toEqual(['body.apiKey', 'body.baseUrl', 'body.maxConcurrent', 'body.provider']);
  });

  it('re-verifies on request, and a verification under way is not restarted', async () => {
    const { id } = (await link()).json();
    const first = await t.app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${id}/verify`,
      headers: admin,
    });
    expect(first.statusCode).toBe(202);
    expect(first.json().status).toBe('Verifying');
    expect(first.json().streamSeq).toBe((await link()).json().streamSeq - 1);
  });

  it('revokes: Revoked, the key shredded, revoking again is harmless, nothing else is accepted', async () => {
    const { id } = (await link()).json();
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${id}`, headers: admin });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().status).toBe('Revoked');
    await expect(t.app.deps.vault.reveal('acme', id)).rejects.toThrow(/destroyed/);
    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/accounts/${id}`, headers: admin });
    expect(again.statusCode).toBe(200);
    expect(again.json().streamSeq).toBe(revoked.json().streamSeq);
    const verify = await t.app.inject({
      method: 'POST',
      url: `/api/v1/accounts/${id}/verify`,
      headers: admin,
    });
    expect(verify.statusCode).toBe(409);
    expect(verify.json().error.code).toBe('invalid_transition');
    expect(verify.json().error.message).toMatch(/account is Revoked/);
  });

  it('answers 404 for an account that does not exist', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/accounts/acc_nothing'],
      ['POST', '/api/v1/accounts/acc_nothing/verify'],
      ['DELETE', '/api/v1/accounts/acc_nothing'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: admin });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error).toEqual({ code: 'not_found', message: 'account acc_nothing does not exist' });
    }
  });
});
