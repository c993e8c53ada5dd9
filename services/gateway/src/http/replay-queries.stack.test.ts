import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CHECKPOINT_CHANNEL, type StreamRef } from '@flywheel/core';
import { createTestContext, type TestContext } from '@flywheel/core/testing';
import type { SessionPage } from '@flywheel/schemas';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../testing/test-app';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

let ctx: TestContext;
let t: TestApp;

async function request(workspace: string, id: string): Promise<number> {
  const ref: StreamRef = { workspace, type: 'session', id };
  const commandId = randomUUID();
  const r = await ctx.eventStore.append(
    ref,
    0,
    [
      {
        type: 'SessionRequested',
        data: {
          provider: 'anthropic',
          prompt: `p ${id}`,
          model: 'claude',
          requestedAccountId: null,
          metadata: {},
          maxAttempts: 3,
        },
      },
    ],
    { commandId, correlationId: commandId, actor: { kind: 'user', id: 'u' }, now: new Date() },
  );
  return r.version;
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
  await requestMany('acme', 'ses_a', SESSIONS);
  // Bulk for the replay to chew on, in another workspace.
  const seq = await requestMany('bulk', 'ses_b', 8000);
  const viewer = { authorization: `Bearer ${await t.token('viewer', 'acme')}` };
  const ready = await t.app.inject({
    method: 'GET',
    url: `/api/v1/sessions?limit=200&consistentWith=${seq}`,
    headers: viewer,
  });
  expect(ready.json<SessionPage>().items).toHaveLength(SESSIONS);
  // The bug a replay fixes: every live row is wrong, the log is right.
  await sql`update sessions set model = 'stale', item = jsonb_set(item::jsonb, '{model}', '"stale"')::text
            where workspace = 'acme'`.execute(ctx.db);
  // As any change to the model would, tell the gateway so it drops the pages it remembers.
  const { last_seq } = await ctx.db
    .selectFrom('projection_checkpoints')
    .select('last_seq')
    .where('name', '=', 'sessions')
    .executeTakeFirstOrThrow();
  await sql`select pg_notify(${CHECKPOINT_CHANNEL}, ${`sessions:${last_seq}`})`.execute(ctx.db);

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

  const seen = { old: 0, fresh: 0 };
  while (running) {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/sessions?limit=200', headers: viewer });
    expect(res.statusCode).toBe(200);
    const items = res.json<SessionPage>().items;
    expect(items).toHaveLength(SESSIONS);
    const stale = items.filter((s) => s.model === 'stale').length;
    // All rows from before the swap, or all from after: never a mix.
    expect([0, SESSIONS]).toContain(stale);
    if (stale === SESSIONS) seen.old++;
    else seen.fresh++;
    // A page the gateway remembers answers without I/O: let the replay's exit be noticed.
    await new Promise((r) => setImmediate(r));
  }
  expect(await exited, stderr).toBe(0);
  expect(stderr).toMatch(/replayed [\d,]+ messages/);
  const busy = await during;

  const after = (
    await t.app.inject({ method: 'GET', url: '/api/v1/sessions?limit=200', headers: viewer })
  ).json<SessionPage>();
  expect(after.items.filter((s) => s.model === 'stale')).toEqual([]);
  expect(seen.old + seen.fresh).toBeGreaterThan(0);
  // Everything written during the replay is in the swapped-in model, once.
  const busyViewer = { authorization: `Bearer ${await t.token('viewer', 'busy')}` };
  const last = await request('busy', 'ses_last');
  const busyPage = (
    await t.app.inject({
      method: 'GET',
      url: `/api/v1/sessions?limit=200&consistentWith=${last}`,
      headers: busyViewer,
    })
  ).json<SessionPage>();
  expect(busyPage.items[0]?.id).toBe('ses_last');
  const stored = await ctx.db
    .selectFrom('sessions')
    .select((eb) => [eb.fn.countAll<number>().as('rows'), eb.fn.count<number>('id').distinct().as('ids')])
    .where('workspace', '=', 'busy')
    .executeTakeFirstOrThrow();
  expect([Number(stored.rows), Number(stored.ids)]).toEqual([busy + 1, busy + 1]);
});
