import { createTestContext, type TestContext } from '@flywheel/core/testing';
import type { DomainEvent } from '@flywheel/schemas';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import wsPlugin from './ws.plugin';

let ctx: TestContext;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  ctx = await createTestContext({ migrate: false });
  app = Fastify();
  await app.register(wsPlugin, {
    nats: ctx.nats,
    topology: ctx.topology,
    // The gateway passes its JWT verification here; this test is about the feed semantics.
    authenticate: async (token) => {
      const [sub, ws] = token.split('@');
      if (!sub || !ws) throw new Error('bad token');
      return { user: sub, workspace: ws, role: 'viewer' as const };
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  base = `ws://127.0.0.1:${port}/ws`;
});
afterAll(async () => {
  await app?.close();
  await ctx?.dispose();
});

interface Client {
  readonly socket: WebSocket;
  readonly messages: Record<string, unknown>[];
  send(m: unknown): void;
  /** Resolves once `predicate` holds for the messages received so far. */
  until(predicate: (m: Record<string, unknown>[]) => boolean): Promise<Record<string, unknown>[]>;
  closed: Promise<number>;
}

function connect(token: string | null, how: 'query' | 'header' | 'cookie' = 'query'): Promise<Client> {
  const url = token && how === 'query' ? `${base}?token=${token}` : base;
  const headers: Record<string, string> = {};
  if (token && how === 'header') headers.authorization = `Bearer ${token}`;
  if (token && how === 'cookie') headers.cookie = `theme=dark; fw_token=${token}`;
  const socket = new WebSocket(url, { headers });
  const messages: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (raw) => {
    messages.push(JSON.parse(String(raw)));
    for (const w of waiters) w();
  });
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  const client: Client = {
    socket,
    messages,
    closed,
    send: (m) => socket.send(JSON.stringify(m)),
    until: (predicate) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out; got ${JSON.stringify(messages)}`)),
          10_000,
        );
        const check = () => {
          if (predicate(messages)) {
            clearTimeout(timer);
            resolve(messages);
          }
        };
        waiters.push(check);
        check();
      }),
  };
  return new Promise((resolve) => {
    socket.on('open', () => resolve(client));
    socket.on('unexpected-response', () => resolve(client));
    socket.on('error', () => resolve(client));
  });
}

let n = 0;
async function append(workspace: string, id: string, reason: string) {
  const store = ctx.eventStore;
  const ref = { workspace, type: 'session' as const, id };
  const version = await store.version(ref);
  const event: DomainEvent = { type: 'SessionWaiting', data: { reason, eta: null } };
  const cmd = `c${++n}`;
  return store.append(ref, version, [event], {
    commandId: cmd,
    correlationId: cmd,
    actor: { kind: 'system', id: 'test' },
    now: new Date(),
  });
}

const events = (ms: Record<string, unknown>[], topic: string) =>
  ms.filter((m) => m.op === 'event' && m.topic === topic);
const reasons = (ms: Record<string, unknown>[], topic: string) =>
  events(ms, topic).map((m) => (m.data as { data: { reason: string } }).data.reason);

describe('/ws', () => {
  it('refuses a socket without a valid token', async () => {
    const none = await connect(null);
    expect(await none.closed).toBe(4401);
    expect(none.messages[0]).toMatchObject({ op: 'error', code: 'unauthorized' });
    const bad = await connect('garbage');
    expect(await bad.closed).toBe(4401);
  });

  it('accepts the token from the header, the cookie or the query', async () => {
    for (const how of ['header', 'cookie', 'query'] as const) {
      const c = await connect('ann@acme', how);
      await c.until((ms) => ms.some((m) => m.op === 'hello'));
      expect(c.messages[0]).toEqual({ op: 'hello', user: 'ann', workspace: 'acme', role: 'viewer' });
      c.socket.close();
    }
  });

  it('streams the workspace feed live, in order, and nothing from other workspaces', async () => {
    const c = await connect('ann@acme');
    c.send({ op: 'subscribe', topic: 'sessions' });
    await c.until((ms) => ms.some((m) => m.op === 'subscribed'));
    await append('acme', 's1', 'a1');
    await append('other', 's1', 'secret');
    await append('acme', 's2', 'a2');
    await append('acme', 's1', 'a3');
    await c.until((ms) => events(ms, 'sessions').length >= 3);
    expect(reasons(c.messages, 'sessions')).toEqual(['a1', 'a2', 'a3']);
    const ops = c.messages.map((m) => m.op);
    expect(ops.indexOf('subscribed')).toBeLessThan(ops.indexOf('event'));
    c.socket.close();
  });

  it('resumes with after: exactly what was missed, in order, no duplicates, then live', async () => {
    const topic = 'session:r1';
    const first = await connect('ann@acme');
    first.send({ op: 'subscribe', topic });
    for (const r of ['r1', 'r2', 'r3']) await append('acme', 'r1', r);
    await first.until((ms) => events(ms, topic).length === 3);
    const last = events(first.messages, topic).at(-1)!.cursor as number;
    first.socket.close();
    await first.closed;

    for (const r of ['r4', 'r5']) await append('acme', 'r1', r);
    const second = await connect('ann@acme');
    second.send({ op: 'subscribe', topic, after: last });
    await second.until((ms) => events(ms, topic).length === 2);
    await append('acme', 'r1', 'r6');
    await second.until((ms) => events(ms, topic).length === 3);
    expect(reasons(second.messages, topic)).toEqual(['r4', 'r5', 'r6']);
    const cursors = events(second.messages, topic).map((m) => m.cursor as number);
    expect([...cursors].sort((a, b) => a - b)).toEqual(cursors);
    expect(cursors[0]).toBeGreaterThan(last);
    second.socket.close();
  });

  it('replays one session output from the start, then follows it', async () => {
    const subject = ctx.topology.outputSubject('acme', 'o1');
    for (let seq = 1; seq <= 3; seq++) {
      await ctx.nats.js.publish(
        subject,
        JSON.stringify({ seq, stream: 'stdout', text: `line ${seq}\n`, at: new Date().toISOString() }),
      );
    }
    const c = await connect('ann@acme');
    c.send({ op: 'subscribe', topic: 'output:o1' });
    await c.until((ms) => events(ms, 'output:o1').length === 3);
    await ctx.nats.js.publish(
      subject,
      JSON.stringify({ seq: 4, stream: 'stderr', text: 'oops\n', at: new Date().toISOString() }),
    );
    await c.until((ms) => events(ms, 'output:o1').length === 4);
    expect(events(c.messages, 'output:o1').map((m) => (m.data as { seq: number }).seq)).toEqual([1, 2, 3, 4]);
    c.socket.close();
  });

  it('stops a feed on unsubscribe and answers bad messages and pings', async () => {
    const c = await connect('ann@acme');
    c.send({ op: 'subscribe', topic: 'session:u1' });
    await c.until((ms) => ms.some((m) => m.op === 'subscribed'));
    c.send({ op: 'unsubscribe', topic: 'session:u1' });
    await c.until((ms) => ms.some((m) => m.op === 'unsubscribed'));
    await append('acme', 'u1', 'after-unsubscribe');
    c.send('not json');
    c.send({ op: 'subscribe', topic: 'session:has spaces' });
    c.send({ op: 'ping', id: 'p1' });
    await c.until((ms) => ms.some((m) => m.op === 'pong'));
    expect(c.messages.filter((m) => m.op === 'error').map((m) => m.code)).toEqual([
      'bad_message',
      'bad_message',
    ]);
    expect(c.messages.find((m) => m.op === 'pong')).toEqual({ op: 'pong', id: 'p1' });
    expect(events(c.messages, 'session:u1')).toEqual([]);
    c.socket.close();
  });
});
