import { mintAgentToken } from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import type { Role } from '@flywheel/schemas';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

let ctx: TestContext;
let t: TestApp;
/** Ids that exist in workspace `acme`. */
let acc: string;
let ses: string;

interface RouteCase {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  /** Fills `:acc` / `:ses` with real ids. */
  readonly url: () => string;
  readonly body?: () => object;
  /** Roles the brief's matrix forbids on this route. */
  readonly forbidden: readonly Role[];
  /** Whether the route addresses one aggregate by id (and so must hide other workspaces'). */
  readonly byId: boolean;
}

const linkBody = () => ({ provider: 'anthropic', label: 'team', apiKey: 'sk-ant-test-0123456789abcdef0123' });
const startBody = () => ({ provider: 'anthropic', prompt: 'write tests' });

const ROUTES: readonly RouteCase[] = [
  { method: 'GET', path: '/api/v1/me', url: () => '/api/v1/me', forbidden: [], byId: false },
  {
    method: 'POST',
    path: '/api/v1/accounts',
    url: () => '/api/v1/accounts',
    body: linkBody,
    forbidden: ['viewer', 'operator'],
    byId: false,
  },
  {
    method: 'GET',
    path: '/api/v1/accounts/{id}',
    url: () => `/api/v1/accounts/${acc}`,
    forbidden: [],
    byId: true,
  },
  {
    method: 'POST',
    path: '/api/v1/accounts/{id}/verify',
    url: () => `/api/v1/accounts/${acc}/verify`,
    forbidden: ['viewer'],
    byId: true,
  },
  {
    method: 'DELETE',
    path: '/api/v1/accounts/{id}',
    url: () => `/api/v1/accounts/${acc}`,
    forbidden: ['viewer', 'operator'],
    byId: true,
  },
  {
    method: 'POST',
    path: '/api/v1/sessions',
    url: () => '/api/v1/sessions',
    body: startBody,
    forbidden: ['viewer'],
    byId: false,
  },
  {
    method: 'GET',
    path: '/api/v1/sessions/{id}',
    url: () => `/api/v1/sessions/${ses}`,
    forbidden: [],
    byId: true,
  },
  {
    method: 'GET',
    path: '/api/v1/events',
    url: () => '/api/v1/events',
    forbidden: ['viewer', 'operator'],
    byId: false,
  },
  {
    method: 'GET',
    path: '/api/v1/sessions/{id}/events',
    url: () => `/api/v1/sessions/${ses}/events`,
    forbidden: [],
    byId: true,
  },
  {
    method: 'GET',
    path: '/api/v1/sessions/{id}/output',
    url: () => `/api/v1/sessions/${ses}/output`,
    forbidden: [],
    byId: true,
  },
  { method: 'GET', path: '/api/v1/sessions', url: () => '/api/v1/sessions', forbidden: [], byId: false },
  { method: 'GET', path: '/api/v1/accounts', url: () => '/api/v1/accounts', forbidden: [], byId: false },
  { method: 'GET', path: '/api/v1/agents', url: () => '/api/v1/agents', forbidden: [], byId: false },
  {
    method: 'POST',
    path: '/api/v1/sessions/{id}/cancel',
    url: () => `/api/v1/sessions/${ses}/cancel`,
    forbidden: ['viewer'],
    byId: true,
  },
];

const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const sign = (claims: Record<string, unknown>, secret: string, alg = 'HS256') =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode(secret));

/** Each kind of bad credential and what the 401 must say about it. */
async function badTokens(): Promise<
  readonly { name: string; headers: Record<string, string>; says: RegExp }[]
> {
  const secret = t.jwtSecret;
  const good = { sub: 'mallory', ws: 'acme', role: 'admin' };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  return [
    { name: 'no token', headers: {}, says: /no token/ },
    { name: 'malformed', headers: bearer('not-a-jwt'), says: /malformed/ },
    { name: 'malformed parts', headers: bearer('aaa.bbb.ccc'), says: /malformed/ },
    { name: 'not a bearer', headers: { authorization: 'Basic YWRtaW46YWRtaW4=' }, says: /Bearer/ },
    {
      name: 'alg none',
      headers: bearer(`${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...good, exp: inAnHour() })}.`),
      says: /"none" is refused/,
    },
    {
      name: 'another algorithm',
      headers: bearer(await sign({ ...good, exp: inAnHour() }, secret, 'HS512')),
      says: /"HS512" is refused/,
    },
    {
      name: 'wrong signature',
      headers: bearer(await sign({ ...good, exp: inAnHour() }, 'another-secret-another-secret-0123456')),
      says: /signature does not verify/,
    },
    {
      name: 'expired',
      headers: bearer(await sign({ ...good, exp: Math.floor(Date.now() / 1000) - 600 }, secret)),
      says: /expired at/,
    },
    { name: 'no exp', headers: bearer(await sign(good, secret)), says: /lacks the "exp" claim/ },
    {
      name: 'no ws',
      headers: bearer(await sign({ sub: 'mallory', role: 'admin', exp: inAnHour() }, secret)),
      says: /token\.ws/,
    },
    {
      name: 'no role',
      headers: bearer(await sign({ sub: 'mallory', ws: 'acme', exp: inAnHour() }, secret)),
      says: /token\.role/,
    },
    {
      name: 'no sub',
      headers: bearer(await sign({ ws: 'acme', role: 'admin', exp: inAnHour() }, secret)),
      says: /token\.sub/,
    },
    {
      name: 'bad role',
      headers: bearer(await sign({ ...good, role: 'superuser', exp: inAnHour() }, secret)),
      says: /token\.role/,
    },
    { name: "an agent's token", headers: bearer(await mintAgentToken(secret, 'agent-1')), says: /token\./ },
    {
      name: 'bad token in the cookie',
      headers: { cookie: `fw_token=${await sign({ ...good, exp: 1 }, secret)}` },
      says: /expired/,
    },
  ];
}

async function streamMessages(): Promise<number> {
  return (await ctx.nats.jsm.streams.info(ctx.topology.events.stream)).state.messages;
}

beforeAll(async () => {
  ctx = await createTestContext();
  t = await createTestApp(ctx);
  const headers = { authorization: `Bearer ${await t.token('admin', 'acme')}` };
  acc = (await t.app.inject({ method: 'POST', url: '/api/v1/accounts', headers, payload: linkBody() })).json()
    .id;
  ses = (
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers, payload: startBody() })
  ).json().id;
});
afterAll(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

describe('auth on every route', () => {
  it('the table covers every API route of the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[] }>>)
      .flatMap(([path, ops]) =>
        Object.entries(ops).map(([m, op]) => ({ route: `${m.toUpperCase()} ${path}`, op })),
      )
      .filter(
        ({ route, op }) =>
          route.includes(' /api/') && !(Array.isArray(op.security) && op.security.length === 0),
      )
      .map(({ route }) => route)
      .sort();
    expect(documented).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('answers 401 saying what is wrong for each kind of bad token, and changes nothing', async () => {
    const before = await streamMessages();
    for (const bad of await badTokens()) {
      for (const r of ROUTES) {
        const res = await t.app.inject({
          method: r.method,
          url: r.url(),
          headers: bad.headers,
          ...(r.body ? { payload: r.body() } : {}),
        });
        expect(res.statusCode, `${bad.name}: ${r.method} ${r.path}`).toBe(401);
        const body = res.json();
        expect(body.error.code).toBe('unauthorized');
        expect(body.error.message, bad.name).toMatch(bad.says);
        expect(body.requestId).toBe(res.headers['x-request-id']);
      }
    }
    expect(await streamMessages()).toBe(before);
  });

  it('answers 403 for each role the matrix forbids, and changes nothing', async () => {
    const before = await streamMessages();
    let checked = 0;
    for (const r of ROUTES) {
      for (const role of r.forbidden) {
        const res = await t.app.inject({
          method: r.method,
          url: r.url(),
          headers: { authorization: `Bearer ${await t.token(role, 'acme')}` },
          ...(r.body ? { payload: r.body() } : {}),
        });
        expect(res.statusCode, `${role}: ${r.method} ${r.path}`).toBe(403);
        expect(res.json().error.code).toBe('forbidden');
        expect(res.json().error.message).toContain(`role ${role} may not`);
        checked++;
      }
    }
    expect(checked).toBe(9);
    expect(await streamMessages()).toBe(before);
  });

  it('lets each allowed role through: reads for all, sessions for operators, accounts for admins', async () => {
    const viewer = { authorization: `Bearer ${await t.token('viewer', 'acme')}` };
    const operator = { authorization: `Bearer ${await t.token('operator', 'acme')}` };
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${ses}`, headers: viewer })).statusCode,
    ).toBe(200);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/sessions',
          headers: operator,
          payload: startBody(),
        })
      ).statusCode,
    ).toBe(202);
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/accounts/${acc}/verify`, headers: operator }))
        .statusCode,
    ).toBe(202);
  });

  it('accepts the token from the fw_token cookie and from ?token=', async () => {
    const token = await t.token('viewer', 'acme', 'carol');
    const byCookie = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { cookie: `a=b; fw_token=${token}` },
    });
    expect(byCookie.json()).toEqual({ user: 'carol', workspace: 'acme', role: 'viewer' });
    const byQuery = await t.app.inject({ method: 'GET', url: `/api/v1/me?token=${token}` });
    expect(byQuery.json()).toEqual({ user: 'carol', workspace: 'acme', role: 'viewer' });
  });

  it('refuses a cookie-authenticated change from another origin, and appends nothing', async () => {
    const token = await t.token('operator', 'acme', 'dave');
    const before = await streamMessages();
    const send = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/sessions',
        headers: { cookie: `fw_token=${token}`, ...headers },
        payload: startBody(),
      });
    // Another port on localhost is the same site for SameSite=Lax, but not the same origin.
    const foreign = await send({ origin: 'http://localhost:5173' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().error.message).toMatch(/cross-site request refused/);
    expect((await send({})).statusCode).toBe(403);
    expect(await streamMessages()).toEqual(before);
    expect((await send({ origin: 'http://localhost:3000' })).statusCode).toBe(202);
    expect((await send({ 'sec-fetch-site': 'same-origin' })).statusCode).toBe(202);
  });

  it("answers another workspace's ids exactly like ids that never existed", async () => {
    const intruder = { authorization: `Bearer ${await t.token('admin', 'globex')}` };
    const before = await streamMessages();
    const strip = (body: { error: { code: string; message: string } }, id: string) => ({
      code: body.error.code,
      message: body.error.message.replace(id, '<id>'),
    });
    for (const r of ROUTES.filter((r) => r.byId)) {
      const theirs = await t.app.inject({ method: r.method, url: r.url(), headers: intruder });
      expect(theirs.statusCode, `${r.method} ${r.path}`).toBe(404);
      const missingId = r.path.includes('accounts') ? 'acc_doesnotexist' : 'ses_doesnotexist';
      const realId = r.path.includes('accounts') ? acc : ses;
      const never = await t.app.inject({
        method: r.method,
        url: r.url().replace(realId, missingId),
        headers: intruder,
      });
      expect(strip(theirs.json(), realId)).toEqual(strip(never.json(), missingId));
    }
    // Naming another workspace's account in a body is refused the same way as a made-up one.
    const pinned = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: intruder,
      payload: { ...startBody(), accountId: acc },
    });
    expect(pinned.statusCode).toBe(400);
    expect(pinned.json().error.details.issues).toEqual([
      { path: 'body.accountId', message: `no account ${acc} in this workspace` },
    ]);
    expect(await streamMessages()).toBe(before);
    // And the owner still sees both, untouched.
    const owner = { authorization: `Bearer ${await t.token('viewer', 'acme')}` };
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/accounts/${acc}`, headers: owner })).statusCode,
    ).toBe(200);
  });

  it('GET /api/v1/me says who the token belongs to', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${await t.token('operator', 'acme', 'alice')}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user: 'alice', workspace: 'acme', role: 'operator' });
  });
});
