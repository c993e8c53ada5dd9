import { createTestContext, type TestContext } from '@flywheel/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

let ctx: TestContext;
let t: TestApp;
let n = 0;
const start = (prompt = 'fix the flaky test') => ({ provider: 'anthropic', prompt });

beforeAll(async () => {
  ctx = await createTestContext();
  t = await createTestApp(ctx);
});
afterAll(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

/** Commits stored for one workspace's sessions: what a user's history would show. */
async function commits(workspace: string): Promise<number> {
  const info = await ctx.nats.jsm.streams.info(ctx.topology.events.stream, {
    subjects_filter: ctx.topology.eventSubject(workspace, 'session', '*'),
  });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

/** The answer is recorded as it travels to the client; wait until it has been. */
async function recorded(workspace: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const rows = await ctx.db
      .selectFrom('idempotency_keys')
      .select('status')
      .where('workspace', '=', workspace)
      .execute();
    if (rows.length > 0 && rows.every((r) => r.status === 'completed')) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`answers in ${workspace} were never recorded`);
}

async function post(workspace: string, url: string, key: string | undefined, payload?: unknown) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: {
      authorization: `Bearer ${await t.token('operator', workspace)}`,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

describe('Idempotency-Key', () => {
  it('replays the first answer to a retry and stores the command once', async () => {
    const ws = `w${++n}`;
    const first = await post(ws, '/api/v1/sessions', 'retry-1', start());
    expect(first.statusCode).toBe(202);
    const again = await post(ws, '/api/v1/sessions', 'retry-1', {
      prompt: 'fix the flaky test',
      provider: 'anthropic',
    });
    expect(again.statusCode).toBe(202);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await commits(ws)).toBe(1);
  });

  it('refuses the same key with a different body or route with 422', async () => {
    const ws = `w${++n}`;
    const first = await post(ws, '/api/v1/sessions', 'k', start('one'));
    const other = await post(ws, '/api/v1/sessions', 'k', start('two'));
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('idempotency_key_reused');
    const elsewhere = await post(ws, `/api/v1/sessions/${first.json().id}/cancel`, 'k');
    expect(elsewhere.statusCode).toBe(422);
    expect(await commits(ws)).toBe(1);
  });

  it('scopes keys per workspace', async () => {
    const a = await post(`w${++n}`, '/api/v1/sessions', 'shared-key', start());
    const b = await post(`w${++n}`, '/api/v1/sessions', 'shared-key', start());
    expect(a.statusCode).toBe(202);
    expect(b.statusCode).toBe(202);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.json().id).not.toBe(a.json().id);
  });

  it('runs concurrent duplicates once: the others wait for its answer', async () => {
    const ws = `w${++n}`;
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => post(ws, '/api/v1/sessions', 'burst', start())),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(12).fill(202));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(11);
    expect(await commits(ws)).toBe(1);
  });

  it('tells a retry to come back when the first request runs too long', async () => {
    const ws = `w${++n}`;
    const first = await post(ws, '/api/v1/sessions', 'slow', start());
    await recorded(ws);
    // As if the first request were still running (its row pending, recently locked).
    await ctx.db
      .updateTable('idempotency_keys')
      .set({ status: 'pending', response_status: null, response_body: null, locked_at: new Date() })
      .where('workspace', '=', ws)
      .execute();
    const retry = await post(ws, '/api/v1/sessions', 'slow', start());
    expect(retry.statusCode).toBe(409);
    expect(retry.json().error.code).toBe('idempotency_in_progress');
    expect(first.statusCode).toBe(202);
    expect(await commits(ws)).toBe(1);
  });

  it('answers a retry after a crash between append and recording with the first commit', async () => {
    const ws = `w${++n}`;
    const first = await post(ws, '/api/v1/sessions', 'crash', start());
    await recorded(ws);
    // As if the process died before recording the answer and the row expired meanwhile.
    await ctx.db.deleteFrom('idempotency_keys').where('workspace', '=', ws).execute();
    const retry = await post(ws, '/api/v1/sessions', 'crash', start());
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toEqual(first.json());
    expect(await commits(ws)).toBe(1);
  });

  it('answers a retried update from its own commit, even past the JetStream dedupe window', async () => {
    const ws = `w${++n}`;
    const { id } = (await post(ws, '/api/v1/sessions', undefined, start())).json();
    const first = await post(ws, `/api/v1/sessions/${id}/cancel`, 'cancel-once');
    expect(first.json().status).toBe('Cancelled');
    await recorded(ws);
    await ctx.db.deleteFrom('idempotency_keys').where('workspace', '=', ws).execute();
    // The session is Cancelled now, so deciding again would be a 409; the retry finds its own commit.
    const retry = await post(ws, `/api/v1/sessions/${id}/cancel`, 'cancel-once');
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual(first.json());
    // A new key for the same cancel is a new command: the session can no longer be cancelled.
    const fresh = await post(ws, `/api/v1/sessions/${id}/cancel`, 'cancel-twice');
    expect(fresh.statusCode).toBe(409);
    expect(fresh.json().error.code).toBe('invalid_transition');
    expect(await commits(ws)).toBe(2);
  });

  it('takes over a key left pending by a process that died', async () => {
    const ws = `w${++n}`;
    await post(ws, '/api/v1/sessions', 'orphan', start());
    await recorded(ws);
    await ctx.db
      .updateTable('idempotency_keys')
      .set({
        status: 'pending',
        response_status: null,
        response_body: null,
        locked_at: new Date(Date.now() - 3_600_000),
      })
      .where('workspace', '=', ws)
      .execute();
    const retry = await post(ws, '/api/v1/sessions', 'orphan', start());
    expect(retry.statusCode).toBe(202);
    expect(await commits(ws)).toBe(1);
  });

  it('keeps answers for at least 24 hours', async () => {
    const ws = `w${++n}`;
    await post(ws, '/api/v1/sessions', 'ttl', start());
    await recorded(ws);
    const row = await ctx.db
      .selectFrom('idempotency_keys')
      .select(['created_at', 'expires_at', 'status'])
      .where('workspace', '=', ws)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('completed');
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  });

  it('appends nothing and claims no key for 413, 415 and 400, so the key still works afterwards', async () => {
    const ws = `w${++n}`;
    const headers = {
      authorization: `Bearer ${await t.token('operator', ws)}`,
      'idempotency-key': 'bad-first',
    };
    const tooBig = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify(start('x'.repeat(1024 * 1024))),
    });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().error.code).toBe('payload_too_large');
    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { ...headers, 'content-type': 'text/plain' },
      payload: 'provider=anthropic',
    });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json().error.code).toBe('unsupported_media_type');
    const unknownField = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers,
      payload: { ...start(), priority: 'high' },
    });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json().error.details.issues).toEqual([
      { path: 'body.priority', message: 'unknown field; remove it' },
    ]);
    const badJson = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { ...headers, 'content-type': 'application/json' },
      payload: '{"provider": "anthropic",',
    });
    expect(badJson.statusCode).toBe(400);
    expect(await commits(ws)).toBe(0);
    expect(
      await ctx.db.selectFrom('idempotency_keys').where('workspace', '=', ws).selectAll().execute(),
    ).toEqual([]);
    const fixed = await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers, payload: start() });
    expect(fixed.statusCode).toBe(202);
    expect(await commits(ws)).toBe(1);
  });

  it('leaves unknown routes a plain 404, key or not', async () => {
    const res = await post(`w${++n}`, '/api/v1/sessions/../nowhere', 'k', start());
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  it('rejects a malformed key, naming the header', async () => {
    const res = await post(`w${++n}`, '/api/v1/sessions', 'x'.repeat(256), start());
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.issues[0].path).toBe('headers.idempotency-key');
  });
});
