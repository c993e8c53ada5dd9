import { createTestContext, type TestContext } from '@flywheel/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

let ctx: TestContext;
let t: TestApp;
let op: Record<string, string>;
beforeAll(async () => {
  ctx = await createTestContext();
  t = await createTestApp(ctx);
  op = { authorization: `Bearer ${await t.token('operator', 'acme', 'olga')}` };
});
afterAll(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

const start = (body: object = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/sessions',
    headers: op,
    payload: { provider: 'anthropic', prompt: 'Add retries to the uploader', ...body },
  });

describe('sessions', () => {
  it('starts a session: 202 with its id, Queued and the commit sequence, readable at once', async () => {
    const res = await start({ model: 'claude-sonnet', metadata: { ticket: 'ENG-12' } });
    expect(res.statusCode).toBe(202);
    const { id, status, streamSeq } = res.json();
    expect(id).toMatch(/^ses_[0-9a-z]{26}$/);
    expect(status).toBe('Queued');
    const read = (await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${id}`, headers: op })).json();
    expect(read).toMatchObject({
      id,
      status: 'Queued',
      provider: 'anthropic',
      prompt: 'Add retries to the uploader',
      model: 'claude-sonnet',
      metadata: { ticket: 'ENG-12' },
      maxAttempts: 3,
      attempts: 0,
      streamSeq,
    });
  });

  it('refuses text the read models cannot store: 400 naming the field, nothing appended', async () => {
    const before = (await ctx.nats.jsm.streams.info(ctx.topology.events.stream)).state.messages;
    for (const [body, path] of [
      [{ prompt: 'before\u0000after' }, 'body.prompt'],
      [{ prompt: 'half \ud800 a pair' }, 'body.prompt'],
      [{ metadata: { note: 'half \udc00 a pair' } }, 'body.metadata.note'],
    ] as const) {
      const res = await start(body);
      expect(res.statusCode, path).toBe(400);
      expect(res.json().error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    // A whole pair (an emoji) is text like any other.
    expect((await start({ prompt: 'ship it 🚀' })).statusCode).toBe(202);
    expect((await ctx.nats.jsm.streams.info(ctx.topology.events.stream)).state.messages).toBe(before + 1);
  });

  it('pins a session to an account of the same provider, and refuses a mismatched one', async () => {
    const admin = { authorization: `Bearer ${await t.token('admin', 'acme')}` };
    const acc = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        headers: admin,
        payload: { provider: 'openai', label: 'o', apiKey: 'sk-proj-aaaaaaaaaaaaaaaaaaaa' },
      })
    ).json().id;
    const pinned = await start({ provider: 'openai', accountId: acc });
    expect(pinned.statusCode).toBe(202);
    const read = await t.app.inject({
      method: 'GET',
      url: `/api/v1/sessions/${pinned.json().id}`,
      headers: op,
    });
    expect(read.json().requestedAccountId).toBe(acc);
    const mismatched = await start({ accountId: acc });
    expect(mismatched.statusCode).toBe(400);
    expect(mismatched.json().error.details.issues).toEqual([
      { path: 'body.accountId', message: `account ${acc} is a openai account` },
    ]);
  });

  it('cancels with a reason, once; the history shows both commits', async () => {
    const { id } = (await start()).json();
    const cancelled = await t.app.inject({
      method: 'POST',
      url: `/api/v1/sessions/${id}/cancel`,
      headers: op,
      payload: { reason: 'wrong repository' },
    });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'Cancelled', reason: 'wrong repository' });
    const again = await t.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/cancel`, headers: op });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(/session is Cancelled/);
    const history = (
      await t.app.inject({ method: 'GET', url: `/api/v1/sessions/${id}/events`, headers: op })
    ).json();
    expect(history.events.map((e: { type: string }) => e.type)).toEqual([
      'SessionRequested',
      'SessionCancelled',
    ]);
    expect(history.events[1]).toMatchObject({
      actor: { kind: 'user', id: 'olga' },
      data: { reason: 'wrong repository' },
    });
    expect(history.streamSeq).toBe(cancelled.json().streamSeq);
  });

  it('cancels without a body with a reason naming the user', async () => {
    const { id } = (await start()).json();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/cancel`, headers: op });
    expect(res.json().reason).toBe('cancelled by olga');
  });

  it('answers 404 for a session that does not exist', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/sessions/ses_nothing'],
      ['GET', '/api/v1/sessions/ses_nothing/events'],
      ['POST', '/api/v1/sessions/ses_nothing/cancel'],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: op });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.message).toBe('session ses_nothing does not exist');
    }
  });

  it('logs each request with its request id', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/sessions/ses_logged',
      headers: { ...op, 'x-request-id': 'trace-me-42' },
    });
    expect(res.headers['x-request-id']).toBe('trace-me-42');
    const lines = t.logs.filter((l) => l.includes('trace-me-42')).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.msg)).toEqual(['incoming request', 'request rejected', 'request completed']);
    for (const l of lines) expect(l.requestId).toBe('trace-me-42');
  });
});

describe('OpenAPI', () => {
  it('serves the document without a token, built from the route schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/accounts',
        '/api/v1/sessions',
        '/api/v1/sessions/{id}/cancel',
        '/api/v1/me',
      ]),
    );
    const schemas = doc.components.schemas;
    const link = schemas.LinkAccountBodyInput ?? schemas.LinkAccountBody;
    expect(link.additionalProperties).toBe(false);
    expect(link.required).toEqual(expect.arrayContaining(['provider', 'label', 'apiKey']));
    expect(schemas.Account.additionalProperties).toBe(false);
    expect(Object.keys(schemas.Account.properties)).not.toContain('apiKey');
  });
});
