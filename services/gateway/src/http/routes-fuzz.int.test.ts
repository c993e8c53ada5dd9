import { createTestContext, type TestContext } from '@flywheel/core/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

let ctx: TestContext;
let t: TestApp;
let admin: string;
let acc: string;
let ses: string;

beforeAll(async () => {
  ctx = await createTestContext();
  t = await createTestApp(ctx, { logLevel: 'warn' });
  admin = await t.token('admin', 'acme');
  const headers = { authorization: `Bearer ${admin}` };
  acc = (
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/accounts',
      headers,
      payload: { provider: 'anthropic', label: 'fuzz', apiKey: 'sk-ant-fuzz-0123456789abcdef' },
    })
  ).json().id;
  ses = (
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers,
      payload: { provider: 'anthropic', prompt: 'p' },
    })
  ).json().id;
});
afterAll(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

/** Values near the valid ones: right and wrong types, edge lengths, odd unicode. */
const field = fc.oneof(
  fc.constantFrom(
    'anthropic',
    'openai',
    'google',
    '',
    ' ',
    'https://proxy.example.com',
    'sk-ant-0123456789abcdef',
  ),
  fc.string({ maxLength: 40, unit: 'binary' }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
);
const FIELDS = [
  'provider',
  'prompt',
  'model',
  'accountId',
  'metadata',
  'label',
  'apiKey',
  'baseUrl',
  'maxConcurrent',
  'reason',
];
const shapedBody = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })), field, {
  maxKeys: 7,
});

/** A valid body with keys dropped, values swapped for odd ones and unknown keys added. */
function mutated(valid: Record<string, unknown>) {
  return fc
    .record({
      drop: fc.subarray(Object.keys(valid)),
      swap: fc.dictionary(fc.constantFrom(...Object.keys(valid)), field, { maxKeys: 2 }),
      add: fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })), field, {
        maxKeys: 1,
      }),
    })
    .map(({ drop, swap, add }) => {
      const body: Record<string, unknown> = { ...valid, ...swap, ...add };
      for (const k of drop) delete body[k];
      return body;
    });
}

/** A body as bytes on the wire, with the content type that came with it (if any). */
function rawBody(valid: Record<string, unknown> | undefined) {
  const json = (v: unknown) => ({
    type: 'application/json' as string | undefined,
    payload: JSON.stringify(v) ?? 'null',
  });
  return fc.oneof(
    {
      arbitrary: (valid && Object.keys(valid).length > 0
        ? fc.oneof(fc.constant(valid), mutated(valid))
        : fc.constant(valid ?? {})
      ).map(json),
      weight: 4,
    },
    shapedBody.map(json),
    fc.jsonValue().map(json),
    fc.string({ maxLength: 200, unit: 'binary' }).map((payload) => ({ type: 'application/json', payload })),
    fc
      .tuple(
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'multipart/form-data',
          '*/*',
          ';;;',
        ),
        fc.string({ maxLength: 50 }),
      )
      .map(([type, payload]) => ({ type, payload })),
    { arbitrary: fc.constant({ type: undefined, payload: undefined }), weight: 2 },
    fc.constant({ type: 'application/json', payload: '{"__proto__": {"admin": true}}' }),
  );
}

/** A path parameter: real ids, other prefixes, random text and broken percent-encodings. */
const param = fc.oneof(
  { arbitrary: fc.constantFrom('ACC', 'SES'), weight: 3 },
  fc.constantFrom('acc_', '%ZZ', '%', '..', 'a'.repeat(65), '%00', '%E2%82'),
  fc.string({ maxLength: 70, unit: 'binary' }).map(encodeURIComponent),
  fc.string({ maxLength: 20 }).filter((s) => !s.includes('/') && !s.includes('?') && !s.includes('#')),
);
const query = fc.oneof(
  { arbitrary: fc.constant(''), weight: 3 },
  fc
    .dictionary(fc.oneof(fc.constant('token'), fc.string({ maxLength: 8 })), fc.string({ maxLength: 20 }), {
      maxKeys: 3,
    })
    .map((q) => `?${new URLSearchParams(q).toString()}`),
  fc.constantFrom('?token', '?token=a&token=b', '?%zz=1', '?a[b]=1', '?=&&='),
);
const idempotencyKey = fc.option(fc.oneof(fc.uuid(), fc.string({ maxLength: 300 })), { nil: undefined });

const link = {
  provider: 'anthropic',
  label: 'fuzz',
  apiKey: 'sk-ant-fuzz-0123456789abcdef',
  maxConcurrent: 2,
};
const start = { provider: 'anthropic', prompt: 'fuzz me', model: 'claude', metadata: { k: 'v' } };

/** Every API route, with a valid body to mutate where it takes one. */
const ROUTES: readonly (readonly ['GET' | 'POST' | 'DELETE', string, Record<string, unknown>?])[] = [
  ['GET', '/api/v1/me'],
  ['POST', '/api/v1/accounts', link],
  ['GET', '/api/v1/accounts/:id'],
  ['POST', '/api/v1/accounts/:id/verify', {}],
  ['POST', '/api/v1/sessions', start],
  ['GET', '/api/v1/sessions/:id'],
  ['GET', '/api/v1/sessions/:id/events'],
  ['GET', '/api/v1/sessions/:id/output'],
  ['GET', '/api/v1/sessions'],
  ['GET', '/api/v1/accounts'],
  ['GET', '/api/v1/agents'],
  ['GET', '/api/v1/events'],
  ['POST', '/api/v1/sessions/:id/cancel', { reason: 'enough' }],
  ['DELETE', '/api/v1/accounts/:id', {}],
  ['GET', '/api/v1/openapi.json'],
];

async function newSession(): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/sessions',
    headers: { authorization: `Bearer ${admin}` },
    payload: { provider: 'anthropic', prompt: 'to cancel' },
  });
  return res.json().id;
}

describe('fuzzed requests never get a 5xx', () => {
  for (const [method, path, valid] of ROUTES) {
    it(`${method} ${path}: 1,000 generated bodies, params and queries`, async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(rawBody(valid), param, query, idempotencyKey, async (body, p, q, key) => {
          // Cancelling works once per session, so cancel runs get a session of their own.
          const id =
            p === 'ACC' ? acc : p === 'SES' ? (path.endsWith('/cancel') ? await newSession() : ses) : p;
          const headers: Record<string, string> = { authorization: `Bearer ${admin}` };
          if (body.type !== undefined) headers['content-type'] = body.type;
          if (key !== undefined) headers['idempotency-key'] = key;
          const res = await t.app.inject({
            method,
            url: `${path.replace(':id', id)}${q}`,
            headers,
            ...(body.payload === undefined ? {} : { payload: body.payload }),
          });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          expect(res.statusCode, `${res.statusCode} ${res.body}`).toBeLessThan(500);
          // An admin token is never refused, whatever else is wrong with the request.
          expect(res.statusCode).not.toBe(401);
          // Every answer, good or bad, is JSON; every error has the one shape.
          const json = res.json();
          if (res.statusCode >= 400) {
            expect(typeof json.error.code).toBe('string');
            // A retry with a key already used (short generated keys repeat) gets the first answer, its requestId included.
            if (res.headers['idempotent-replayed'] === 'true') expect(typeof json.requestId).toBe('string');
            else expect(json.requestId).toBe(res.headers['x-request-id']);
          }
        }),
        { numRuns: 1000 },
      );
      // The generators must reach the handler, not only the validation in front of it.
      const succeeded = [...statuses].filter(([status]) => status < 300).reduce((a, [, n]) => a + n, 0);
      expect(succeeded, JSON.stringify(Object.fromEntries(statuses))).toBeGreaterThan(10);
    });
  }
});
