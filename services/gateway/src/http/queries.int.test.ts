import { randomUUID } from 'node:crypto';
import {
  CHECKPOINT_CHANNEL,
  createCursorCodec,
  createPgPool,
  projectionLockName,
  type StreamRef,
} from '@flywheel/core';
import { createTestContext, sessionRequested, type TestContext } from '@flywheel/core/testing';
import { AGENTS_WORKSPACE, type DomainEvent, SessionPage, SessionSummary } from '@flywheel/schemas';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

let ctx: TestContext;
let t: TestApp;
let acme: Record<string, string>;
let other: Record<string, string>;
let lastSeq = 0;

async function append(ref: StreamRef, version: number, ...events: DomainEvent[]): Promise<number> {
  const id = randomUUID();
  const r = await ctx.eventStore.append(ref, version, events, {
    commandId: id,
    correlationId: id,
    actor: { kind: 'user', id: 'test' },
    now: new Date(),
  });
  lastSeq = Math.max(lastSeq, r.version);
  return r.version;
}

const requested = (provider: 'anthropic' | 'openai', prompt: string) =>
  sessionRequested(prompt, { provider });

async function createSessions(workspace: string, prefix: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
  for (const [i, id] of ids.entries()) {
    await append(
      { workspace, type: 'session', id },
      0,
      requested(i % 3 === 0 ? 'openai' : 'anthropic', `p ${id}`),
    );
  }
  return ids;
}

const get = (url: string, headers = acme) => t.app.inject({ method: 'GET', url, headers });

beforeAll(async () => {
  ctx = await createTestContext();
  t = await createTestApp(ctx);
  acme = { authorization: `Bearer ${await t.token('viewer', 'acme')}` };
  other = { authorization: `Bearer ${await t.token('viewer', 'other')}` };
});

afterAll(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

describe('GET /api/v1/sessions', () => {
  it('pages through every session exactly once while new ones arrive between pages', async () => {
    const before = await createSessions('acme', 'ses_page', 130);
    const seen: string[] = [];
    let url = `/api/v1/sessions?limit=25&consistentWith=${lastSeq}`;
    let page = 0;
    for (;;) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      const body = res.json<SessionPage>();
      seen.push(...body.items.map((s) => s.id));
      // Sessions created while paging sort before the cursor: never repeated, never shifting the rest.
      await createSessions('acme', `ses_new${page++}x`, 7);
      if (body.nextCursor === null) break;
      url = `/api/v1/sessions?limit=25&cursor=${encodeURIComponent(body.nextCursor)}&consistentWith=${lastSeq}`;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => id.startsWith('ses_page'))).toEqual([...before].reverse());
    expect(seen.filter((id) => id.startsWith('ses_new'))).toEqual([]);
  });

  it('filters by status and provider, and shows only the caller’s workspace', async () => {
    await createSessions('other', 'ses_theirs', 3);
    const openai = (
      await get(`/api/v1/sessions?provider=openai&limit=200&consistentWith=${lastSeq}`)
    ).json<SessionPage>();
    expect(openai.items.length).toBeGreaterThan(0);
    expect(openai.items.every((s) => s.provider === 'openai')).toBe(true);
    const queued = (await get('/api/v1/sessions?status=Queued&limit=200')).json<SessionPage>();
    expect(queued.items.every((s) => s.status === 'Queued')).toBe(true);
    expect((await get('/api/v1/sessions?status=Completed')).json<SessionPage>().items).toEqual([]);
    const theirs = (await get('/api/v1/sessions?limit=200', other)).json<SessionPage>();
    expect(theirs.items.map((s) => s.id).sort()).toEqual([
      'ses_theirs0000',
      'ses_theirs0001',
      'ses_theirs0002',
    ]);
  });

  it('lists a session with exactly the schema’s fields, in order, as its detail shows them', async () => {
    await append({ workspace: 'acme', type: 'session', id: 'ses_fields' }, 0, {
      type: 'SessionRequested',
      data: {
        provider: 'openai',
        prompt: 'quote "this" ✓\nplease',
        model: 'gpt-x',
        requestedAccountId: null,
        metadata: { team: 'core', b: 'x"y' },
        maxAttempts: 2,
      },
    });
    const res = await get(`/api/v1/sessions?limit=200&consistentWith=${lastSeq}`);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const page = res.json<SessionPage>();
    expect(() => SessionPage.parse(page)).not.toThrow();
    const item = page.items.find((s) => s.id === 'ses_fields')!;
    expect(Object.keys(item)).toEqual(Object.keys(SessionSummary.shape));
    const detail = (await get('/api/v1/sessions/ses_fields')).json<Record<string, unknown>>();
    const { promptPreview, ...shared } = item;
    expect(detail.prompt).toContain(promptPreview);
    expect(shared).toEqual(Object.fromEntries(Object.keys(shared).map((k) => [k, detail[k]])));
  });

  it('answers a repeated page from memory only until the projection commits or a replay swaps', async () => {
    await createSessions('acme', 'ses_cache', 2);
    const top = async (query = '') =>
      (await get(`/api/v1/sessions?limit=1${query}`)).json<SessionPage>().items[0]!;
    expect((await top(`&consistentWith=${lastSeq}`)).id).toBe('ses_cache0001');
    expect((await top()).id).toBe('ses_cache0001');
    // A commit: the read that waits for it sees the new session, not the page remembered before.
    await createSessions('acme', 'ses_cachf', 1);
    expect((await top(`&consistentWith=${lastSeq}`)).id).toBe('ses_cachf0000');
    // A replay swap rewrites rows and notifies at an unchanged sequence: the rows it wrote are served.
    const { last_seq } = await ctx.db
      .selectFrom('projection_checkpoints')
      .select('last_seq')
      .where('name', '=', 'sessions')
      .executeTakeFirstOrThrow();
    await ctx.db
      .updateTable('sessions')
      .set({ item: sql<string>`jsonb_set(item::jsonb, '{promptPreview}', '"rebuilt"')::text` })
      .where('id', '=', 'ses_cachf0000')
      .execute();
    await sql`select pg_notify(${CHECKPOINT_CHANNEL}, ${`sessions:${last_seq}`})`.execute(ctx.db);
    await expect.poll(async () => (await top()).promptPreview).toBe('rebuilt');
  });

  it('rejects a tampered, forged or foreign cursor with 400 naming the cursor', async () => {
    const first = (await get('/api/v1/sessions?limit=2')).json<SessionPage>();
    const cursor = first.nextCursor!;
    const [body, mac] = cursor.split('.');
    const tampered = `${(Number.parseInt(body!, 36) + 1).toString(36)}.${mac}`;
    const forged = createCursorCodec('not-the-gateway-secret-not-the-gateway-secret').encode(
      'acme',
      'sessions',
      5,
    );
    for (const [c, headers] of [
      [tampered, acme],
      [forged, acme],
      ['garbage', acme],
      [`${cursor}.x`, acme],
      [cursor, other],
    ] as const) {
      const res = await get(`/api/v1/sessions?cursor=${encodeURIComponent(c)}`, headers);
      expect(res.statusCode, c).toBe(400);
      expect(res.json().error.details.issues).toEqual([expect.objectContaining({ path: 'query.cursor' })]);
    }
    expect((await get(`/api/v1/sessions?cursor=${encodeURIComponent(cursor)}`)).statusCode).toBe(200);
  });

  it('answers 400 naming the parameter for a bad limit, status or unknown parameter', async () => {
    for (const [query, path] of [
      ['limit=0', 'query.limit'],
      ['limit=201', 'query.limit'],
      ['limit=ten', 'query.limit'],
      ['limit=2.5', 'query.limit'],
      ['status=Sleeping', 'query.status'],
      ['provider=acme-ai', 'query.provider'],
      ['sort=newest', 'query.sort'],
      ['consistentWith=-1', 'query.consistentWith'],
    ]) {
      const res = await get(`/api/v1/sessions?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(
        res.json().error.details.issues.map((i: { path: string }) => i.path),
        query,
      ).toContain(path);
    }
    const header = await get('/api/v1/sessions', { ...acme, 'x-consistent-with': 'soon' });
    expect(header.statusCode).toBe(400);
    expect(header.json().error.details.issues[0].path).toBe('headers.x-consistent-with');
  });
});

describe('read-your-writes', () => {
  it('a session just started is in the list asked for with its streamSeq', async () => {
    const operator = { authorization: `Bearer ${await t.token('operator', 'acme')}` };
    const started = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: operator,
      payload: { provider: 'anthropic', prompt: 'read my write' },
    });
    expect(started.statusCode).toBe(202);
    const { id, streamSeq } = started.json();
    const res = await get('/api/v1/sessions?limit=1', { ...acme, 'x-consistent-with': String(streamSeq) });
    expect(res.headers['x-consistency']).toBe('consistent');
    expect(res.json<SessionPage>().items[0]?.id).toBe(id);
    const detail = await get(`/api/v1/sessions/${id}`);
    expect(detail.json()).toMatchObject({ id, status: 'Queued', prompt: 'read my write' });
  });

  it('never answers a detail older than its aggregate: a stale row is read again once projected', async () => {
    const ref: StreamRef = { workspace: 'acme', type: 'session', id: 'ses_behind' };
    const v = await append(ref, 0, requested('anthropic', 'wait for me'));
    expect((await get(`/api/v1/sessions/ses_behind?consistentWith=${v}`)).json().status).toBe('Queued');
    // Hold the projection's lock, as a replay swap does: the next commit is not projected yet.
    const pool = createPgPool(ctx.databaseUrl, { max: 1 });
    const lock = await pool.connect();
    try {
      await lock.query('select pg_advisory_lock(hashtextextended($1, 0))', [projectionLockName('sessions')]);
      await append(ref, v, { type: 'SessionAssigned', data: { accountId: 'acc_b', attempt: 1 } });
      const detail = get('/api/v1/sessions/ses_behind');
      await new Promise((r) => setTimeout(r, 300));
      await lock.query('select pg_advisory_unlock(hashtextextended($1, 0))', [
        projectionLockName('sessions'),
      ]);
      const res = await detail;
      expect(res.headers['x-consistency']).toBe('consistent');
      expect(res.json()).toMatchObject({ id: 'ses_behind', status: 'Starting', accountId: 'acc_b' });
    } finally {
      lock.release();
      await pool.end();
    }
  });

  it('answers, marked stale, when the read model does not reach the sequence in time', async () => {
    const res = await get(`/api/v1/sessions?limit=1&consistentWith=${lastSeq + 1_000_000}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-consistency']).toBe('stale');
  });
});

describe('details, output, history, accounts and agents', () => {
  it('serves a session’s output by sequence and its history; 404 for another workspace', async () => {
    const ref: StreamRef = { workspace: 'acme', type: 'session', id: 'ses_out' };
    let v = await append(ref, 0, requested('anthropic', 'print things'));
    v = await append(ref, v, { type: 'SessionAssigned', data: { accountId: 'acc_x', attempt: 1 } });
    for (let seq = 1; seq <= 5; seq++) {
      await ctx.nats.js.publish(
        ctx.topology.outputSubject('acme', 'ses_out'),
        JSON.stringify({ seq, stream: 'stdout', text: `line ${seq}\n`, at: new Date().toISOString() }),
      );
    }
    const history = (await get('/api/v1/sessions/ses_out/events')).json();
    expect(history.events.map((e: { type: string }) => e.type)).toEqual([
      'SessionRequested',
      'SessionAssigned',
    ]);
    expect(history.streamSeq).toBe(v);
    let out = (await get('/api/v1/sessions/ses_out/output?after=0&limit=2')).json();
    for (let i = 0; out.chunks.length < 2 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      out = (await get('/api/v1/sessions/ses_out/output?after=0&limit=2')).json();
    }
    expect(out.chunks.map((c: { seq: number }) => c.seq)).toEqual([1, 2]);
    const rest = (await get(`/api/v1/sessions/ses_out/output?after=${out.nextAfter}&limit=10`)).json();
    expect(rest.chunks.map((c: { text: string }) => c.text)).toEqual(['line 3\n', 'line 4\n', 'line 5\n']);
    for (const url of [
      '/api/v1/sessions/ses_out',
      '/api/v1/sessions/ses_out/output',
      '/api/v1/sessions/ses_out/events',
    ]) {
      expect((await get(url, other)).statusCode, url).toBe(404);
    }
    for (const [query, path] of [
      ['after=-1', 'query.after'],
      ['after=first', 'query.after'],
      ['limit=1001', 'query.limit'],
      ['limit=0', 'query.limit'],
      ['consistentWith=3', 'query.consistentWith'],
    ]) {
      const res = await get(`/api/v1/sessions/ses_out/output?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(
        res.json().error.details.issues.map((i: { path: string }) => i.path),
        query,
      ).toContain(path);
    }
  });

  it('shows an account’s cooldown and error, and a re-queued session’s reason, ETA and failed account', async () => {
    const acc: StreamRef = { workspace: 'acme', type: 'account', id: 'acc_cool' };
    let a = await append(acc, 0, {
      type: 'AccountLinked',
      data: {
        provider: 'anthropic',
        label: 'cool',
        authType: 'api_key',
        fingerprint: 'sk-…cool',
        baseUrl: null,
        maxConcurrent: 2,
      },
    });
    a = await append(acc, a, { type: 'AccountVerified', data: {} });
    const until = '2026-03-01T12:00:30.000Z';
    const s: StreamRef = { workspace: 'acme', type: 'session', id: 'ses_requeued' };
    let v = await append(s, 0, requested('anthropic', 'again'));
    v = await append(s, v, { type: 'SessionAssigned', data: { accountId: 'acc_cool', attempt: 1 } });
    v = await append(s, v, { type: 'SessionStarted', data: { agentId: 'agt_x', attempt: 1 } });
    a = await append(acc, a, {
      type: 'AccountRateLimited',
      data: { until, source: 'retry-after', sessionId: 'ses_requeued' },
    });
    await append(s, v, {
      type: 'SessionRequeued',
      data: { reason: 'rate limited by anthropic', failedAccountId: 'acc_cool', eta: until },
    });
    expect((await get(`/api/v1/accounts/acc_cool?consistentWith=${lastSeq}`)).json()).toMatchObject({
      status: 'Cooldown',
      cooldown: { until, source: 'retry-after' },
      error: null,
      sessionsRunning: 0,
    });
    expect((await get('/api/v1/sessions/ses_requeued')).json()).toMatchObject({
      status: 'Queued',
      queueReason: 'rate limited by anthropic',
      eta: until,
      attempts: 1,
      failedAccountIds: ['acc_cool'],
      accountId: null,
      agentId: null,
    });
    a = await append(acc, a, { type: 'AccountCooldownEnded', data: {} });
    await append(acc, a, {
      type: 'AccountErrored',
      data: { code: 'invalid_credential', reason: 'the provider refused the key' },
    });
    expect((await get('/api/v1/accounts/acc_cool')).json()).toMatchObject({
      status: 'Error',
      cooldown: null,
      error: { code: 'invalid_credential', reason: 'the provider refused the key' },
    });
  });

  it('lists accounts with their running sessions and agents with theirs; never a secret', async () => {
    const acc: StreamRef = { workspace: 'acme', type: 'account', id: 'acc_list' };
    await append(acc, 0, {
      type: 'AccountLinked',
      data: {
        provider: 'anthropic',
        label: 'pool',
        authType: 'api_key',
        fingerprint: 'sk-…abcd',
        baseUrl: null,
        maxConcurrent: 4,
      },
    });
    await append({ workspace: AGENTS_WORKSPACE, type: 'agent', id: 'agt_list' }, 0, {
      type: 'AgentRegistered',
      data: { name: 'box-1', providers: ['anthropic'], maxConcurrent: 2, version: '1.2.3' },
    });
    const s: StreamRef = { workspace: 'acme', type: 'session', id: 'ses_busy' };
    let v = await append(s, 0, requested('anthropic', 'busy'));
    v = await append(s, v, { type: 'SessionAssigned', data: { accountId: 'acc_list', attempt: 1 } });
    await append(s, v, { type: 'SessionStarted', data: { agentId: 'agt_list', attempt: 1 } });
    const accounts = (await get(`/api/v1/accounts?consistentWith=${lastSeq}`)).json();
    expect(accounts.items.find((a: { id: string }) => a.id === 'acc_list')).toMatchObject({
      status: 'Verifying',
      fingerprint: 'sk-…abcd',
      sessionsRunning: 1,
    });
    const agents = (await get(`/api/v1/agents?consistentWith=${lastSeq}`)).json();
    expect(agents.items.filter((a: { id: string }) => a.id === 'agt_list')).toEqual([
      expect.objectContaining({
        id: 'agt_list',
        status: 'Online',
        sessionsRunning: 1,
        providers: ['anthropic'],
        lastHeartbeatAt: null,
      }),
    ]);
    // The dispatcher records each heartbeat in its own table; the list shows the last one.
    await ctx.db
      .insertInto('dispatch_agents')
      .values({
        agent_id: 'agt_list',
        workspace: AGENTS_WORKSPACE,
        status: 'Online',
        providers: ['anthropic'],
        capacity: 2,
        last_heartbeat_at: new Date('2026-03-01T12:00:03Z'),
      })
      .execute();
    expect(
      (await get('/api/v1/agents')).json().items.find((a: { id: string }) => a.id === 'agt_list'),
    ).toMatchObject({ lastHeartbeatAt: '2026-03-01T12:00:03.000Z' });
    expect((await get('/api/v1/accounts/acc_list')).json()).toMatchObject({
      id: 'acc_list',
      sessionsRunning: 1,
    });
    expect((await get('/api/v1/accounts', other)).json().items).toEqual([]);
    // Agents serve every workspace: another workspace sees the agent, but none of our load.
    expect(
      (await get('/api/v1/agents', other)).json().items.filter((a: { id: string }) => a.id === 'agt_list'),
    ).toEqual([expect.objectContaining({ id: 'agt_list', sessionsRunning: 0 })]);
  });
});

describe('GET /api/v1/accounts and /api/v1/agents', () => {
  const PROVIDERS = ['anthropic', 'openai', 'google'] as const;

  async function link(workspace: string, id: string, provider: string, verified: boolean): Promise<void> {
    const ref: StreamRef = { workspace, type: 'account', id };
    const v = await append(ref, 0, {
      type: 'AccountLinked',
      data: {
        provider: provider as (typeof PROVIDERS)[number],
        label: id,
        authType: 'api_key',
        fingerprint: 'sk-…0000',
        baseUrl: null,
        maxConcurrent: 1,
      },
    });
    if (verified) await append(ref, v, { type: 'AccountVerified', data: {} });
  }

  async function register(id: string, providers: (typeof PROVIDERS)[number][]): Promise<number> {
    return append({ workspace: AGENTS_WORKSPACE, type: 'agent', id }, 0, {
      type: 'AgentRegistered',
      data: { name: id, providers, maxConcurrent: 1, version: '1.0.0' },
    });
  }

  /** Every page of `path` at `limit`, calling `between` after each page. */
  async function pages(path: string, between: (page: number) => Promise<void>, headers = acme) {
    const seen: { id: string; status: string; provider?: string; providers?: string[] }[] = [];
    let cursor: string | null = null;
    for (let page = 0; ; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const after = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const res = await get(`${path}${sep}consistentWith=${lastSeq}${after}`, headers);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      seen.push(...body.items);
      await between(page);
      cursor = body.nextCursor;
      if (cursor === null) return seen;
    }
  }

  it('pages accounts in link order, each exactly once, accounts linked while paging at the end', async () => {
    const ws = 'pager';
    const pager = { authorization: `Bearer ${await t.token('viewer', ws)}` };
    const linked: string[] = [];
    for (let i = 0; i < 7; i++) {
      linked.push(`acc_p${i}`);
      await link(ws, `acc_p${i}`, PROVIDERS[i % 3]!, i % 2 === 0);
    }
    const seen = await pages(
      '/api/v1/accounts?limit=2',
      async (page) => {
        if (page < 2) {
          linked.push(`acc_q${page}`);
          await link(ws, `acc_q${page}`, 'openai', false);
        }
      },
      pager,
    );
    expect(seen.map((a) => a.id)).toEqual(linked);

    const openai = await pages('/api/v1/accounts?provider=openai&limit=1', async () => {}, pager);
    expect(openai.map((a) => a.id)).toEqual(['acc_p1', 'acc_p4', 'acc_q0', 'acc_q1']);
    const active = await pages('/api/v1/accounts?status=Active&provider=anthropic', async () => {}, pager);
    expect(active.map((a) => a.id)).toEqual(['acc_p0', 'acc_p6']);
    // Without a limit a page holds up to 100 accounts, so one page here.
    const all = (await get('/api/v1/accounts', pager)).json();
    expect(all.items).toHaveLength(linked.length);
    expect(all.nextCursor).toBeNull();
  });

  it('pages agents in registration order and filters them by status and the provider they serve', async () => {
    const mine = (ids: { id: string }[]) => ids.map((a) => a.id).filter((id) => id.startsWith('agt_pg'));
    await register('agt_pg0', ['anthropic']);
    await register('agt_pg1', ['openai', 'google']);
    const v = await register('agt_pg2', ['google']);
    await append({ workspace: AGENTS_WORKSPACE, type: 'agent', id: 'agt_pg2' }, v, {
      type: 'AgentDrainStarted',
      data: {},
    });
    const seen = await pages('/api/v1/agents?limit=1', async (page) => {
      if (page === 0) await register('agt_pg3', ['anthropic', 'openai']);
    });
    expect(new Set(seen.map((a) => a.id)).size).toBe(seen.length);
    expect(mine(seen)).toEqual(['agt_pg0', 'agt_pg1', 'agt_pg2', 'agt_pg3']);
    expect(mine(await pages('/api/v1/agents?provider=google', async () => {}))).toEqual([
      'agt_pg1',
      'agt_pg2',
    ]);
    expect(mine(await pages('/api/v1/agents?provider=openai&status=Online', async () => {}))).toEqual([
      'agt_pg1',
      'agt_pg3',
    ]);
    expect(mine(await pages('/api/v1/agents?status=Draining', async () => {}))).toEqual(['agt_pg2']);
  });

  it('answers 400 naming the parameter for bad filters, limits and cursors', async () => {
    const sessionsCursor = (await get('/api/v1/sessions?limit=1')).json<SessionPage>().nextCursor!;
    const accountsCursor = (await get('/api/v1/accounts?limit=1')).json().nextCursor as string;
    expect(accountsCursor).toEqual(expect.any(String));
    for (const [path, query, param, headers] of [
      ['accounts', 'limit=0', 'query.limit', acme],
      ['accounts', 'limit=501', 'query.limit', acme],
      ['accounts', 'status=Cooling', 'query.status', acme],
      ['accounts', 'provider=acme-ai', 'query.provider', acme],
      ['accounts', 'order=label', 'query.order', acme],
      // A cursor is bound to its list and its workspace.
      ['accounts', `cursor=${encodeURIComponent(sessionsCursor)}`, 'query.cursor', acme],
      ['accounts', `cursor=${encodeURIComponent(accountsCursor)}`, 'query.cursor', other],
      ['agents', 'limit=ten', 'query.limit', acme],
      ['agents', 'status=Running', 'query.status', acme],
      ['agents', 'provider=', 'query.provider', acme],
      ['agents', `cursor=${encodeURIComponent(accountsCursor)}`, 'query.cursor', acme],
    ] as const) {
      const res = await get(`/api/v1/${path}?${query}`, headers);
      expect(res.statusCode, `${path}?${query}`).toBe(400);
      expect(
        res.json().error.details.issues.map((i: { path: string }) => i.path),
        `${path}?${query}`,
      ).toContain(param);
    }
  });
});

describe('GET /ready', () => {
  it('is ready with every check passing and each projection’s lag and dead letters', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.checks.projections.items.map((p: { name: string }) => p.name)).toEqual([
      'sessions',
      'accounts',
      'agents',
      'event-index',
      'output',
    ]);
    for (const p of body.checks.projections.items)
      expect(p).toMatchObject({ ok: true, stopped: false, deadLetters: 0 });
  });

  it('answers 503 saying which projection stopped', async () => {
    // A projection whose consumer is gone is projecting nothing.
    await ctx.nats.jsm.consumers.delete(ctx.topology.events.stream, 'projection-agents');
    const res = await t.app.inject({ method: 'GET', url: '/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().status).toBe('not_ready');
    expect(res.json().checks.projections.message).toMatch(/agents is stopped/);
  });
});
