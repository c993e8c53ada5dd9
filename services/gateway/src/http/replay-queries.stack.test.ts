import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CHECKPOINT_CHANNEL, type StreamRef } from '@flywheel/core';
import { createTestContext, sessionRequested, type TestContext } from '@flywheel/core/testing';
import type { AuditPage, DomainEvent, SessionPage } from '@flywheel/schemas';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

let ctx: TestContext;
let t: TestApp;

async function append(ref: StreamRef, version: number, events: DomainEvent[]): Promise<number> {
  const commandId = randomUUID();
  const r = await ctx.eventStore.append(ref, version, events, {
    commandId,
    correlationId: commandId,
    actor: { kind: 'user', id: 'u' },
    now: new Date(),
  });
  return r.version;
}

const request = (workspace: string, id: string) =>
  append({ workspace, type: 'session', id }, 0, [sessionRequested(`p ${id}`, { model: 'claude' })]);

async function link(workspace: string, id: string): Promise<void> {
  const ref: StreamRef = { workspace, type: 'account', id };
  const version = await append(ref, 0, [
    {
      type: 'AccountLinked',
      data: {
        provider: 'anthropic',
        label: `key ${id}`,
        authType: 'api_key',
        fingerprint: `fp-${id}`,
        baseUrl: null,
        maxConcurrent: 8,
      },
    },
  ]);
  await append(ref, version, [{ type: 'AccountVerified', data: {} }]);
}

async function requestMany(workspace: string, prefix: string, n: number, lanes = 16): Promise<number> {
  let last = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < n) {
        const i = next++;
        last = Math.max(last, await request(workspace, `${prefix}${i}`));
      }
    }),
  );
  return last;
}

/** A query asked over and over during the replay, with its answer from the old model and from the new. */
interface Probe {
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Session list pages may come from the gateway's page cache; the rest always ask Postgres. */
  readonly cached: boolean;
  old: string;
  fresh: string;
}

beforeAll(async () => {
  ctx = await createTestContext();
  t = await createTestApp(ctx);
});

afterAll(async () => {
  await t?.app.close();
  await ctx?.dispose();
});

it('answers every query during make replay with a complete model, the old one or the new one', {
  timeout: 180_000,
}, async () => {
  const SESSIONS = 150;
  const ACCOUNTS = 4;
  for (let i = 0; i < ACCOUNTS; i++) await link('acme', `acc_a${i}`);
  await requestMany('acme', 'ses_a', SESSIONS);
  // Bulk for the replay to chew on, in another workspace.
  const seq = await requestMany('bulk', 'ses_b', 8000);
  const viewer = { authorization: `Bearer ${await t.token('viewer', 'acme')}` };
  const admin = { authorization: `Bearer ${await t.token('admin', 'acme')}` };
  const get = (url: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
  // Every model the probes read has applied the whole log.
  for (const url of ['/sessions?limit=1&', '/accounts?', '/events?limit=1&']) {
    const res = await get(`${url}consistentWith=${seq}`, admin);
    expect(res.headers['x-consistency'], url).toBe('consistent');
  }

  // Queries the page cache cannot answer (details, accounts, the audit log), and session
  // pages of many sizes and positions, so that Postgres is asked right across the swap.
  const pages = async <P extends { nextCursor: string | null }>(
    url: string,
    headers: Record<string, string>,
  ) => {
    const cursors: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const page: P = (await get(`${url}${cursor === null ? '' : `&cursor=${cursor}`}`, headers)).json<P>();
      if (page.nextCursor === null) return cursors;
      cursor = page.nextCursor;
      cursors.push(cursor);
    }
  };
  const probe = (url: string, headers: Record<string, string>, cached = false): Probe => ({
    url,
    headers,
    cached,
    old: '',
    fresh: '',
  });
  const lists = [200, 150, 149, 50, 13, 1].map((limit) => probe(`/sessions?limit=${limit}`, viewer, true));
  for (const [i, c] of (await pages<SessionPage>('/sessions?limit=7', viewer)).entries()) {
    lists.push(probe(`/sessions?limit=${[7, 20, 64][i % 3]}&cursor=${c}`, viewer, true));
  }
  const details = Array.from({ length: SESSIONS / 5 }, (_, i) => probe(`/sessions/ses_a${i * 5}`, viewer));
  const accounts = [
    probe('/accounts', viewer),
    ...Array.from({ length: ACCOUNTS }, (_, i) => probe(`/accounts/acc_a${i}`, viewer)),
  ];
  const events = [200, 120, 50].map((limit) => probe(`/events?limit=${limit}`, admin));
  for (const [i, c] of (await pages<AuditPage>('/events?limit=9', admin)).entries()) {
    events.push(probe(`/events?limit=${[9, 30, 100][i % 3]}&cursor=${c}`, admin));
  }
  const probes = [...lists, ...details, ...accounts, ...events];
  // Each model in turn, so that any moment of the replay sees all of them asked.
  const kinds = [lists, details, accounts, events];
  const longest = Math.max(...kinds.map((k) => k.length));
  const rotation = Array.from({ length: longest }, (_, i) => kinds.map((k) => k[i % k.length]!)).flat();
  const answer = async (p: Probe) => {
    const res = await get(p.url, p.headers);
    expect(res.statusCode, `${p.url}: ${res.body}`).toBe(200);
    return res.body;
  };
  for (const p of probes) p.fresh = await answer(p);
  // Complete: answers during the replay must equal these (or their old twins) byte for byte.
  expect(JSON.parse(lists[0]!.fresh).items).toHaveLength(SESSIONS);
  expect(JSON.parse(accounts[0]!.fresh).items).toHaveLength(ACCOUNTS);
  expect(JSON.parse(events[0]!.fresh).items).toHaveLength(SESSIONS + 2 * ACCOUNTS);

  // The bug a replay fixes: every live row is wrong, the log is right.
  await sql`update sessions set model = 'stale', item = jsonb_set(item::jsonb, '{model}', '"stale"')::text
            where workspace = 'acme'`.execute(ctx.db);
  await sql`update accounts set label = 'stale' where workspace = 'acme'`.execute(ctx.db);
  await sql`update event_index set actor_id = 'stale' where workspace = 'acme'`.execute(ctx.db);
  // As any change to the model would, tell the gateway so it drops the pages it remembers.
  const { last_seq } = await ctx.db
    .selectFrom('projection_checkpoints')
    .select('last_seq')
    .where('name', '=', 'sessions')
    .executeTakeFirstOrThrow();
  await sql`select pg_notify(${CHECKPOINT_CHANNEL}, ${`sessions:${last_seq}`})`.execute(ctx.db);
  for (let i = 0; (await answer(lists[0]!)) === lists[0]!.fresh; i++) {
    expect(i, 'the gateway hears of the change').toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 10));
  }
  for (const p of probes) {
    p.old = await answer(p);
    expect(p.old, `${p.url} answers the same from both models`).not.toBe(p.fresh);
  }

  const replay = spawn('make', ['--no-print-directory', 'replay'], {
    cwd: ROOT,
    env: { ...process.env, ...ctx.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  replay.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((r) => replay.once('exit', (code) => r(code)));
  let running = true;
  void exited.then(() => {
    running = false;
  });

  // Keep writing while it runs: the catch-up and the live projector must not lose these.
  const during = (async () => {
    let i = 0;
    while (running) await request('busy', `ses_c${i++}`);
    return i;
  })();

  // Two clients, each through every probe in turn without pause, until the replay has exited
  // and then once more. Each answer is one model whole; and once Postgres has answered from
  // the new model, it never answers from the old one again (a session page the gateway
  // remembers may be older by the time its notification takes to arrive).
  const seen = { old: 0, fresh: 0 };
  let swapped = false;
  const client = async (offset: number) => {
    let more = rotation.length;
    for (let i = offset; running || more-- > 0; i++) {
      const p = rotation[i % rotation.length]!;
      const after = swapped;
      const body = await answer(p);
      if (body === p.old) {
        if (!p.cached) {
          expect(after, `${p.url} answered from the old model after the new one was seen`).toBe(false);
          seen.old++;
        }
      } else {
        // All rows from before the swap, or all from after: never a mix, nor a row missing.
        expect(body, p.url).toBe(p.fresh);
        if (!p.cached) {
          swapped = true;
          seen.fresh++;
        }
      }
      // A page the gateway remembers answers without I/O: let the replay's exit be noticed.
      await new Promise((r) => setImmediate(r));
    }
  };
  try {
    // Half a round apart, and on different models.
    await Promise.all([client(0), client(Math.floor(rotation.length / 2) + 1)]);
  } finally {
    // A check failed: stop the replay and the writer before the streams go away.
    if (running) replay.kill('SIGKILL');
    await Promise.allSettled([exited, during]);
  }
  expect(await exited, stderr).toBe(0);
  expect(stderr).toMatch(/replayed [\d,]+ messages/);
  const busy = await during;

  // Postgres itself answered from both sides of the swap; now every query has the new model.
  expect(seen.old).toBeGreaterThan(0);
  expect(seen.fresh).toBeGreaterThan(0);
  for (const p of probes) expect(await answer(p), p.url).toBe(p.fresh);

  // Everything written during the replay is in the swapped-in model, once.
  const busyViewer = { authorization: `Bearer ${await t.token('viewer', 'busy')}` };
  const last = await request('busy', 'ses_last');
  const busyPage = (await get(`/sessions?limit=200&consistentWith=${last}`, busyViewer)).json<SessionPage>();
  expect(busyPage.items[0]?.id).toBe('ses_last');
  const stored = await ctx.db
    .selectFrom('sessions')
    .select((eb) => [eb.fn.countAll<number>().as('rows'), eb.fn.count<number>('id').distinct().as('ids')])
    .where('workspace', '=', 'busy')
    .executeTakeFirstOrThrow();
  expect([Number(stored.rows), Number(stored.ids)]).toEqual([busy + 1, busy + 1]);
});
