import { randomUUID } from 'node:crypto';
import {
  type AppendOptions,
  createCursorCodec,
  createLogger,
  createPgPool,
  getAggregateHistory,
  getProjectionStatus,
  listAccounts,
  listAgents,
  listOutput,
  listSessions,
  type StreamRef,
} from '@flywheel/core';
import { createTestContext, sessionRequested, type TestContext } from '@flywheel/core/testing';
import { AGENTS_WORKSPACE, type DomainEvent } from '@flywheel/schemas';
import { sql } from 'kysely';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Projector, startProjector } from './projector';
import { publishOutput, publishUnchecked, waitForProjections } from './testing';

let ctx: TestContext;
let pool: pg.Pool;
let projector: Projector;
const logger = createLogger('projector-test', 'silent');
const versions = new Map<string, number>();
const cursors = createCursorCodec('test-secret-test-secret-test-secret-0123');

function appendOptions(): AppendOptions {
  const id = randomUUID();
  return {
    commandId: id,
    correlationId: id,
    actor: { kind: 'user', id: 'u1' },
    now: new Date('2026-02-01T10:00:00Z'),
  };
}

async function append(ref: StreamRef, ...events: DomainEvent[]): Promise<number> {
  const key = `${ref.workspace}/${ref.type}/${ref.id}`;
  const r = await ctx.eventStore.append(ref, versions.get(key) ?? 0, events, appendOptions());
  versions.set(key, r.version);
  return r.version;
}

const session = (id: string, workspace = 'acme'): StreamRef => ({ workspace, type: 'session', id });

const start = () =>
  startProjector({
    pool,
    nats: ctx.nats,
    topology: ctx.topology,
    logger,
    onFatal: (err) => {
      throw err;
    },
  });

beforeAll(async () => {
  ctx = await createTestContext();
  pool = createPgPool(ctx.databaseUrl, { max: 8 });
  projector = await start();
});

afterAll(async () => {
  await projector?.stop();
  await pool?.end();
  await ctx?.dispose();
});

describe('projector', () => {
  it('projects a session, its account and agent, its history and its output', async () => {
    const acc: StreamRef = { workspace: 'acme', type: 'account', id: 'acc_1' };
    const agt: StreamRef = { workspace: AGENTS_WORKSPACE, type: 'agent', id: 'agt_1' };
    await append(acc, {
      type: 'AccountLinked',
      data: {
        provider: 'anthropic',
        label: 'team key',
        authType: 'api_key',
        fingerprint: 'fp-1234',
        baseUrl: null,
        maxConcurrent: 2,
      },
    });
    await append(acc, { type: 'AccountVerified', data: {} });
    await append(agt, {
      type: 'AgentRegistered',
      data: { name: 'worker-1', providers: ['anthropic'], maxConcurrent: 3, version: '1.0.0' },
    });
    const s1 = session('ses_1');
    await append(s1, sessionRequested('write the tests'));
    await append(s1, { type: 'SessionAssigned', data: { accountId: 'acc_1', attempt: 1 } });
    await append(s1, { type: 'SessionStarted', data: { agentId: 'agt_1', attempt: 1 } });
    await publishOutput(ctx.nats, ctx.topology, 'acme', 'ses_1', [
      { seq: 1, stream: 'stdout', text: 'hello\n', at: '2026-02-01T10:00:01.000Z' },
      { seq: 2, stream: 'stderr', text: 'warn\ttab', at: '2026-02-01T10:00:02.000Z' },
      // An agent that lost an ack republishes: the first copy stays.
      { seq: 2, stream: 'stderr', text: 'duplicate', at: '2026-02-01T10:00:03.000Z' },
    ]);
    await waitForProjections(ctx);

    const running = await listSessions(ctx.db, cursors, { workspace: 'acme', limit: 10 });
    expect(running.items).toMatchObject([
      { id: 'ses_1', status: 'Running', accountId: 'acc_1', agentId: 'agt_1' },
    ]);
    expect((await listAccounts(ctx.db, cursors, { workspace: 'acme', limit: 10 })).items[0]).toMatchObject({
      id: 'acc_1',
      status: 'Active',
      fingerprint: 'fp-1234',
      sessionsRunning: 1,
      lastUsedAt: '2026-02-01T10:00:00.000Z',
    });
    expect((await listAgents(ctx.db, cursors, { workspace: 'acme', limit: 10 })).items[0]).toMatchObject({
      id: 'agt_1',
      status: 'Online',
      sessionsRunning: 1,
    });

    await append(s1, {
      type: 'SessionCompleted',
      data: { outputChunks: 2, inputTokens: 10, outputTokens: 20 },
    });
    await waitForProjections(ctx);
    expect(
      (await listAccounts(ctx.db, cursors, { workspace: 'acme', limit: 10 })).items[0]!.sessionsRunning,
    ).toBe(0);
    expect(
      (await listAgents(ctx.db, cursors, { workspace: 'acme', limit: 10 })).items[0]!.sessionsRunning,
    ).toBe(0);
    const output = await listOutput(ctx.db, { workspace: 'acme', sessionId: 'ses_1', after: 0, limit: 10 });
    expect(output?.chunks.map((c) => [c.seq, c.text])).toEqual([
      [1, 'hello\n'],
      [2, 'warn\ttab'],
    ]);
    const history = await getAggregateHistory(ctx.db, 'acme', 'session', 'ses_1');
    expect(history.map((e) => e.type)).toEqual([
      'SessionRequested',
      'SessionAssigned',
      'SessionStarted',
      'SessionCompleted',
    ]);
    // Another workspace sees none of it.
    expect((await listSessions(ctx.db, cursors, { workspace: 'other', limit: 10 })).items).toEqual([]);
    expect(
      await listOutput(ctx.db, { workspace: 'other', sessionId: 'ses_1', after: 0, limit: 10 }),
    ).toBeNull();
  });

  it('dead-letters messages it cannot project and goes on with the ones after them', async () => {
    const subject = ctx.topology.eventSubject('acme', 'session', 'ses_junk');
    const junk = (await ctx.nats.js.publish(subject, 'this is not a commit')).seq;
    // A valid event for a session that was never requested: the sessions model cannot apply it.
    const orphan = await append(session('ses_orphan'), {
      type: 'SessionStarted',
      data: { agentId: 'agt_1', attempt: 1 },
    });
    // Postgres text cannot hold NUL: refused by the row check, not by a failing batch.
    const nul = await append(session('ses_nul'), sessionRequested('before\u0000after'));
    // jsonb cannot hold an unpaired surrogate, nor can the dead letter keep it as JSON. The
    // event store refuses to append one, so it comes as another writer might have put it.
    const surrogate = await publishUnchecked(ctx, session('ses_lone'), [sessionRequested('lonely')], (json) =>
      json.replace('"metadata":{}', '"metadata":{"note":"half \\ud800 a pair"}'),
    );
    const after = await append(session('ses_after'), sessionRequested('still projected'));
    await waitForProjections(ctx);

    const letters = await ctx.db
      .selectFrom('dead_letters')
      .select(['projection', 'stream_seq', 'event_type', 'error'])
      .orderBy('stream_seq')
      .orderBy('projection')
      .execute();
    const bySeq = (seq: number) => letters.filter((l) => l.stream_seq === seq).map((l) => l.projection);
    expect(bySeq(junk)).toEqual(['accounts', 'agents', 'event-index', 'sessions']);
    expect(bySeq(orphan)).toEqual(['sessions']);
    expect(bySeq(nul).sort()).toEqual(['event-index', 'sessions']);
    expect(bySeq(surrogate)).toEqual(['accounts', 'agents', 'event-index', 'sessions']);
    expect(letters.find((l) => l.stream_seq === orphan)?.error).toMatch(/never requested/);
    expect(letters.find((l) => l.stream_seq === nul && l.projection === 'sessions')?.error).toMatch(/NUL/);

    const page = await listSessions(ctx.db, cursors, { workspace: 'acme', limit: 10 });
    expect(page.items.map((s) => s.id)).toContain('ses_after');
    expect(page.items.map((s) => s.id)).not.toContain('ses_nul');
    const status = await getProjectionStatus({ db: ctx.db, jsm: ctx.nats.jsm, topology: ctx.topology });
    expect(status.find((s) => s.name === 'sessions')).toMatchObject({
      lag: 0,
      deadLetters: 4,
      stopped: false,
    });
    expect(after).toBeGreaterThan(nul);
  });

  it('dead-letters a second request for a session, though it writes new sessions unread', async () => {
    await append(session('ses_dup'), sessionRequested('the first'));
    await waitForProjections(ctx);
    // Another writer's commit requesting it again (the event store would refuse it), then a new one.
    const dup = await publishUnchecked(ctx, session('ses_dup'), [sessionRequested('the second')]);
    await append(session('ses_dup_next'), sessionRequested('the next'));
    await waitForProjections(ctx);
    const letters = await ctx.db
      .selectFrom('dead_letters')
      .select(['projection', 'error'])
      .where('stream_seq', '=', dup)
      .execute();
    expect(letters).toEqual([{ projection: 'sessions', error: expect.stringMatching(/requested twice/) }]);
    const rows = await ctx.db
      .selectFrom('sessions')
      .select(['id', 'prompt'])
      .where('id', 'in', ['ses_dup', 'ses_dup_next'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'ses_dup', prompt: 'the first' },
      { id: 'ses_dup_next', prompt: 'the next' },
    ]);
  });

  it('retries a message Postgres refuses a bounded number of times, then dead-letters it', async () => {
    await sql`alter table sessions add constraint test_no_evil check (model is distinct from 'evil')`.execute(
      ctx.db,
    );
    try {
      const evil = await append(session('ses_evil'), {
        type: 'SessionRequested',
        data: {
          provider: 'anthropic',
          prompt: 'x',
          model: 'evil',
          requestedAccountId: null,
          metadata: {},
          maxAttempts: 1,
        },
      });
      await append(session('ses_good'), sessionRequested('fine'));
      await waitForProjections(ctx);
      const letter = await ctx.db
        .selectFrom('dead_letters')
        .selectAll()
        .where('projection', '=', 'sessions')
        .where('stream_seq', '=', evil)
        .executeTakeFirstOrThrow();
      expect(letter.error).toMatch(/refused its rows 3 times.*test_no_evil/);
      const ids = (await listSessions(ctx.db, cursors, { workspace: 'acme', limit: 50 })).items.map(
        (s) => s.id,
      );
      expect(ids).toContain('ses_good');
      expect(ids).not.toContain('ses_evil');
    } finally {
      await sql`alter table sessions drop constraint test_no_evil`.execute(ctx.db);
    }
  });

  it('picks up where it stopped after a restart, applying nothing twice', async () => {
    await projector.stop();
    for (let i = 0; i < 20; i++) await append(session(`ses_r${i}`), sessionRequested(`restart ${i}`));
    await publishOutput(
      ctx.nats,
      ctx.topology,
      'acme',
      'ses_r0',
      Array.from({ length: 30 }, (_, i) => ({
        seq: i + 1,
        stream: 'stdout' as const,
        text: `line ${i}`,
        at: '2026-02-01T10:00:00.000Z',
      })),
    );
    projector = await start();
    await waitForProjections(ctx);
    const out = await listOutput(ctx.db, { workspace: 'acme', sessionId: 'ses_r0', after: 0, limit: 100 });
    expect(out?.chunks.map((c) => c.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const ids = (await listSessions(ctx.db, cursors, { workspace: 'acme', limit: 200 })).items.map(
      (s) => s.id,
    );
    expect(ids.filter((id) => id.startsWith('ses_r')).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `ses_r${i}`).sort(),
    );
  });

  it('goes on from a checkpoint another writer moved (a replay swap), applying nothing behind it', async () => {
    await waitForProjections(ctx);
    const head = (await ctx.nats.jsm.streams.info(ctx.topology.events.stream)).state.last_seq;
    // As a replay swap would: tables built to head + 2, which the next two commits fall under.
    await ctx.db
      .updateTable('projection_checkpoints')
      .set({ last_seq: head + 2 })
      .where('name', '=', 'sessions')
      .execute();
    for (const id of ['ses_m1', 'ses_m2', 'ses_m3']) await append(session(id), sessionRequested());
    await waitForProjections(ctx);
    const ids = (await listSessions(ctx.db, cursors, { workspace: 'acme', limit: 200 })).items.map(
      (s) => s.id,
    );
    expect(ids.filter((id) => id.startsWith('ses_m'))).toEqual(['ses_m3']);
    // The other projections were not moved, and took all three.
    const history = await getAggregateHistory(ctx.db, 'acme', 'session', 'ses_m1');
    expect(history.map((e) => e.type)).toEqual(['SessionRequested']);
  });
});
