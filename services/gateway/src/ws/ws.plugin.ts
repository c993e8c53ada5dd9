import websocket from '@fastify/websocket';
import type { NatsHandle, Topology } from '@flywheel/core';
import { WsClientMessage, type WsServerMessage, type WsTopic } from '@flywheel/schemas';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/user-token';
import { tokenOf } from '../plugins/auth.plugin';
import { type Feed, type FeedItem, openFeed, topicSource } from './topic-feed';

export interface WsPluginOptions {
  readonly nats: NatsHandle;
  readonly topology: Topology;
  /** Verifies a token from the header, the `fw_token` cookie or `?token=`; throws when it is bad. */
  readonly authenticate: (token: string) => Promise<Principal>;
}

const MAX_SUBSCRIPTIONS = 64;
/** A client this far behind is cut off; it resumes with `after` and loses nothing. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const KEEPALIVE_MS = 30_000;

function send(socket: WebSocket, message: WsServerMessage): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

/**
 * `/ws`: live feeds over one socket per client. Each subscription is an ordered
 * consumer scoped to the caller's workspace; `after` resumes exactly behind a cursor.
 */
const wsPlugin: FastifyPluginAsync<WsPluginOptions> = async (app, opts) => {
  const sockets = new Set<WebSocket>();
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  // Close sockets before the server stops, so clients see a clean close and reconnect.
  app.addHook('preClose', async () => {
    for (const s of sockets) s.close(1001, 'server shutting down');
  });

  app.get('/ws', { websocket: true }, async (socket, req) => {
    let principal: Principal;
    try {
      const token = tokenOf(req);
      if (!token) throw new Error('no token: send Authorization: Bearer, the fw_token cookie or ?token=');
      principal = await opts.authenticate(token);
    } catch (err) {
      send(socket, { op: 'error', code: 'unauthorized', message: (err as Error).message });
      socket.close(4401, 'unauthorized');
      return;
    }
    sockets.add(socket);
    const feeds = new Map<WsTopic, Promise<Feed | null>>();
    const log = req.log.child({ user: principal.user, workspace: principal.workspace });
    const keepalive = setInterval(() => socket.ping(), KEEPALIVE_MS);

    const closeFeed = async (topic: WsTopic) => {
      const feed = await feeds.get(topic);
      feeds.delete(topic);
      await feed?.close();
    };

    socket.on('close', () => {
      clearInterval(keepalive);
      sockets.delete(socket);
      for (const topic of [...feeds.keys()]) void closeFeed(topic);
    });

    socket.on('message', async (raw) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(raw));
      } catch {
        send(socket, { op: 'error', code: 'bad_message', message: 'messages must be JSON' });
        return;
      }
      const msg = WsClientMessage.safeParse(parsed);
      if (!msg.success) {
        const issue = msg.error.issues[0];
        send(socket, {
          op: 'error',
          code: 'bad_message',
          message: `${issue?.path.join('.') || 'message'}: ${issue?.message}; expected {op:"subscribe",topic,after?}, {op:"unsubscribe",topic} or {op:"ping"}`,
        });
        return;
      }
      const m = msg.data;
      if (m.op === 'ping') {
        send(socket, m.id === undefined ? { op: 'pong' } : { op: 'pong', id: m.id });
        return;
      }
      if (m.op === 'unsubscribe') {
        await closeFeed(m.topic);
        send(socket, { op: 'unsubscribed', topic: m.topic });
        return;
      }
      if (feeds.has(m.topic)) await closeFeed(m.topic);
      if (feeds.size >= MAX_SUBSCRIPTIONS) {
        send(socket, {
          op: 'error',
          code: 'too_many_subscriptions',
          message: `at most ${MAX_SUBSCRIPTIONS} topics per socket`,
          topic: m.topic,
        });
        return;
      }
      const topic = m.topic;
      const source = topicSource(opts.topology, principal.workspace, topic);
      // Items that arrive before `subscribed` went out wait, so the client always sees
      // `subscribed` first.
      let held: FeedItem[] | null = [];
      const forward = (items: readonly FeedItem[]) => {
        for (const item of items) send(socket, { op: 'event', topic, cursor: item.cursor, data: item.data });
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          send(socket, {
            op: 'error',
            code: 'slow_consumer',
            message: 'too far behind; reconnect and resume with after',
          });
          socket.close(4008, 'slow consumer');
        }
      };
      const opening = openFeed(
        opts.nats.js,
        source,
        m.after,
        (items) => (held ? held.push(...items) : forward(items)),
        (err) => {
          log.warn({ err, topic }, 'feed failed');
          send(socket, {
            op: 'error',
            code: 'feed_failed',
            message: 'the feed stopped; resubscribe with after',
            topic,
          });
        },
      ).then(
        (feed) => {
          send(socket, { op: 'subscribed', topic, cursor: m.after ?? null });
          const early = held ?? [];
          held = null;
          forward(early);
          return feed;
        },
        (err: unknown) => {
          log.warn({ err, topic }, 'subscribe failed');
          feeds.delete(topic);
          send(socket, {
            op: 'error',
            code: 'subscribe_failed',
            message: 'could not open the feed; try again',
            topic,
          });
          return null;
        },
      );
      feeds.set(topic, opening);
      // A socket closed while the feed was opening must not leave a consumer behind.
      if (socket.readyState !== socket.OPEN) await closeFeed(topic);
    });

    send(socket, { op: 'hello', user: principal.user, workspace: principal.workspace, role: principal.role });
  });
};

export default fp(wsPlugin, { name: 'ws', fastify: '5.x' });
