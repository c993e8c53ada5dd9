import { createCursorCodec, type StreamRef } from '@flywheel/core';
import { appendCommand, createTestContext, sessionRequested, type TestContext } from '@flywheel/core/testing';
import { AuditPage, type DomainEvent, type SessionPage } from '@flywheel/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

let ctx: TestContext;
let t: TestApp;
let admin: Record<string, string>;
let lastSeq = 0;

async function append(ref: StreamRef, version: number, actor: string, ...events: DomainEvent[]) {
  lastSeq = Math.max(lastSeq, await appendCommand(ctx.eventStore, ref, version, events, actor));
}

/** A session requested and put to wait: one commit of two events. */
const session = (workspace: string, id: string, actor = 'alice') =>
  append({ workspace, type: 'session', id }, 0, actor, sessionRequested(`p ${id}`), {
    type: 'SessionWaiting',
    data: { reason: 'no free agent', eta: null },
  });

const get = (url: string, headers = admin) => t.app.inject({ method: 'GET', url, headers });
const ids = (page: AuditPage) => page.items.map((e) => `${e.aggregate.id}/${e.type}`);

beforeAll(async () => {
  ctx = await createTestContext();
  t = await createTestApp(ctx);
  admin = { authorization: `Bearer ${await t.token('admin', 'acme')}` };
  for (let i = 0; i < 5; i++) await session('acme', `ses_a${i}`, i % 2 === 0 ? 'alice' : 'bob');
  await session('other', 'ses_theirs');
  await append({ workspace: 'acme', type: 'account', id: 'acc_1' }, 0, 'alice', {
    type: 'AccountLinked',
    data: {
      provider: 'anthropic',
      label: 'team',
      authType: 'api_key',
      fingerprint: 'fp-1',
      baseUrl: null,
      maxConcurrent: 4,
    },
  });
});

afterAll(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

describe('GET /api/v1/events', () => {
  it('pages through every event of the workspace once, newest first, while events arrive between pages', async () => {
    const seen: AuditPage['items'] = [];
    let url = `/api/v1/events?limit=3&consistentWith=${lastSeq}`;
    let pages = 0;
    for (;;) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      const page = res.json<AuditPage>();
      expect(() => AuditPage.parse(page)).not.toThrow();
      seen.push(...page.items);
      // Pages of three split the two-event commits: the cursor must keep its place inside one.
      await session('acme', `ses_late${pages++}`);
      if (page.nextCursor === null) break;
      url = `/api/v1/events?limit=3&cursor=${encodeURIComponent(page.nextCursor)}`;
    }
    expect(seen.map((e) => `${e.aggregate.id}/${e.type}`)).toEqual([
      'acc_1/AccountLinked',
      ...[4, 3, 2, 1, 0].flatMap((i) => [`ses_a${i}/SessionWaiting`, `ses_a${i}/SessionRequested`]),
    ]);
    const order = seen.map((e) => e.seq * 100 + e.idx);
    expect(order).toEqual([...order].sort((a, b) => b - a));
    expect(seen[0]).toMatchObject({
      aggregate: { type: 'account', id: 'acc_1' },
      actor: { kind: 'user', id: 'alice' },
      version: 1,
      data: { fingerprint: 'fp-1', label: 'team' },
    });
  });

  it('narrows by aggregate, event type and actor, and never shows another workspace', async () => {
    const base = `/api/v1/events?limit=200&consistentWith=${lastSeq}`;
    const one = (await get(`${base}&aggregateType=session&aggregateId=ses_a2`)).json<AuditPage>();
    expect(ids(one)).toEqual(['ses_a2/SessionWaiting', 'ses_a2/SessionRequested']);
    const accounts = (await get(`${base}&aggregateType=account`)).json<AuditPage>();
    expect(ids(accounts)).toEqual(['acc_1/AccountLinked']);
    const requested = (await get(`${base}&type=SessionRequested`)).json<AuditPage>();
    expect(requested.items.length).toBeGreaterThanOrEqual(5);
    expect(requested.items.every((e) => e.type === 'SessionRequested')).toBe(true);
    const bob = (await get(`${base}&actorId=bob`)).json<AuditPage>();
    expect(ids(bob)).toEqual([
      'ses_a3/SessionWaiting',
      'ses_a3/SessionRequested',
      'ses_a1/SessionWaiting',
      'ses_a1/SessionRequested',
    ]);
    const all = (await get(base)).json<AuditPage>();
    expect(all.items.some((e) => e.aggregate.id === 'ses_theirs')).toBe(false);
    const theirs = (
      await get(base, { authorization: `Bearer ${await t.token('admin', 'other')}` })
    ).json<AuditPage>();
    expect(ids(theirs)).toEqual(['ses_theirs/SessionWaiting', 'ses_theirs/SessionRequested']);
  });

  it('is for admins: viewers and operators get 403 saying so', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const res = await get('/api/v1/events', { authorization: `Bearer ${await t.token(role, 'acme')}` });
      expect(res.statusCode, role).toBe(403);
      expect(res.json().error.message).toContain('read the audit log');
    }
  });

  it('rejects a tampered, forged, foreign or other list’s cursor with 400 naming the cursor', async () => {
    const first = (await get('/api/v1/events?limit=1')).json<AuditPage>();
    const cursor = first.nextCursor!;
    const [body, mac] = cursor.split('.');
    const [seq, idx] = body!.split('-');
    const sessionsCursor = (
      await get('/api/v1/sessions?limit=1', { authorization: `Bearer ${await t.token('viewer', 'acme')}` })
    ).json<SessionPage>().nextCursor!;
    const forged = createCursorCodec('not-the-gateway-secret-not-the-gateway-secret').encode(
      'acme',
      'events',
      [5, 0],
    );
    const foreign = { authorization: `Bearer ${await t.token('admin', 'other')}` };
    for (const [c, headers] of [
      [`${seq}-${(Number.parseInt(idx!, 36) + 1).toString(36)}.${mac}`, admin],
      [`${seq}.${mac}`, admin],
      [forged, admin],
      [sessionsCursor, admin],
      ['garbage', admin],
      [cursor, foreign],
    ] as const) {
      const res = await get(`/api/v1/events?cursor=${encodeURIComponent(c)}`, headers);
      expect(res.statusCode, c).toBe(400);
      expect(res.json().error.details.issues).toEqual([expect.objectContaining({ path: 'query.cursor' })]);
    }
    expect((await get(`/api/v1/events?cursor=${encodeURIComponent(cursor)}`)).statusCode).toBe(200);
  });

  it('answers 400 naming the parameter for bad filters, limits and unknown parameters', async () => {
    for (const [query, path] of [
      ['aggregateId=ses_a1', 'query.aggregateId'],
      ['aggregateType=tenant', 'query.aggregateType'],
      ['type=SessionExploded', 'query.type'],
      ['actorId=', 'query.actorId'],
      ['limit=0', 'query.limit'],
      ['limit=201', 'query.limit'],
      ['workspace=other', 'query.workspace'],
      ['consistentWith=soon', 'query.consistentWith'],
    ]) {
      const res = await get(`/api/v1/events?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(
        res.json().error.details.issues.map((i: { path: string }) => i.path),
        query,
      ).toContain(path);
    }
  });
});
