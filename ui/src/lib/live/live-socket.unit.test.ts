import { get } from 'svelte/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveSocket, type TopicListener, type WebSocketLike } from './live-socket';

/** A socket the test plays the server for. */
class FakeSocket implements WebSocketLike {
  readyState = 1;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  /** The server says something. */
  push(msg: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  /** The connection ends from the server's side (or the network's). */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  subscribes(): Record<string, unknown>[] {
    return this.sent.filter((m) => m.op === 'subscribe');
  }
}

function recorder() {
  const events: unknown[] = [];
  const subscribed: boolean[] = [];
  const interruptions: number[] = [];
  const listener: TopicListener = {
    event: (data) => events.push(data),
    subscribed: (continued) => subscribed.push(continued),
    interrupted: () => interruptions.push(events.length),
  };
  return { listener, events, subscribed, interruptions };
}

const ev = (id: string) => ({ id, type: 'SessionStarted' });

describe('LiveSocket', () => {
  let sockets: FakeSocket[];
  let live: LiveSocket;
  const last = () => sockets.at(-1)!;

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    live = new LiveSocket({
      url: 'ws://gateway/ws',
      connect: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      random: () => 1,
      lingerMs: 1000,
      pingIntervalMs: 20_000,
      pongTimeoutMs: 5_000,
    });
  });
  afterEach(() => vi.useRealTimers());

  it('opens one socket for its first topic and subscribes once the server says hello', () => {
    const r = recorder();
    live.subscribe('sessions', r.listener);
    expect(sockets).toHaveLength(1);
    expect(get(live.state).status).toBe('connecting');
    expect(last().subscribes()).toEqual([]);
    last().push({ op: 'hello', user: 'u', workspace: 'acme', role: 'admin' });
    expect(get(live.state)).toMatchObject({ status: 'open', workspace: 'acme' });
    expect(last().subscribes()).toEqual([{ op: 'subscribe', topic: 'sessions' }]);
    last().push({ op: 'subscribed', topic: 'sessions', cursor: null });
    last().push({ op: 'event', topic: 'sessions', cursor: 4, data: ev('a.0') });
    expect(r.subscribed).toEqual([false]);
    expect(r.events).toEqual([ev('a.0')]);
  });

  it('multiplexes topics on one socket and shares a topic between listeners', () => {
    const a = recorder();
    const b = recorder();
    live.subscribe('sessions', a.listener);
    live.subscribe('accounts', a.listener);
    last().push({ op: 'hello', workspace: 'acme' });
    last().push({ op: 'subscribed', topic: 'sessions', cursor: null });
    live.subscribe('sessions', b.listener);
    last().push({ op: 'event', topic: 'sessions', cursor: 2, data: ev('x.0') });
    expect(sockets).toHaveLength(1);
    expect(
      last()
        .subscribes()
        .map((m) => m.topic),
    ).toEqual(['sessions', 'accounts']);
    expect(b.subscribed).toEqual([false]);
    expect(a.events).toEqual([ev('x.0')]);
    expect(b.events).toEqual([ev('x.0')]);
  });

  it('shows Disconnected when the socket drops and resumes every topic behind its last cursor', () => {
    const r = recorder();
    live.subscribe('output:s1', r.listener);
    last().push({ op: 'hello', workspace: 'acme' });
    last().push({ op: 'subscribed', topic: 'output:s1', cursor: null });
    last().push({ op: 'event', topic: 'output:s1', cursor: 10, data: { seq: 1 } });
    last().push({ op: 'event', topic: 'output:s1', cursor: 11, data: { seq: 2 } });
    last().drop();
    expect(r.interruptions).toEqual([2]);

    const down = get(live.state);
    expect(down.status).toBe('disconnected');
    expect(down.retryAt).not.toBeNull();
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
    last().push({ op: 'hello', workspace: 'acme' });
    expect(get(live.state).status).toBe('open');
    expect(last().subscribes()).toEqual([{ op: 'subscribe', topic: 'output:s1', after: 10 }]);
    last().push({ op: 'subscribed', topic: 'output:s1', cursor: 10 });
    // The resume starts at the last cursor: its item is known and dropped, the rest is new.
    last().push({ op: 'event', topic: 'output:s1', cursor: 11, data: { seq: 2 } });
    last().push({ op: 'event', topic: 'output:s1', cursor: 12, data: { seq: 3 } });
    expect(r.events).toEqual([{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
    expect(r.subscribed).toEqual([false, true]);
  });

  it('starts a topic afresh after a reconnect when nothing had arrived on it', () => {
    const r = recorder();
    live.subscribe('accounts', r.listener);
    last().push({ op: 'hello', workspace: 'acme' });
    last().push({ op: 'subscribed', topic: 'accounts', cursor: null });
    last().drop();
    vi.advanceTimersByTime(500);
    last().push({ op: 'hello', workspace: 'acme' });
    expect(last().subscribes()).toEqual([{ op: 'subscribe', topic: 'accounts' }]);
    last().push({ op: 'subscribed', topic: 'accounts', cursor: null });
    // Not continued: the listener reloads its snapshot instead of trusting the feed alone.
    expect(r.subscribed).toEqual([false, false]);
  });

  it('backs off further with each failed attempt and resets once connected', () => {
    live.subscribe('sessions', recorder().listener);
    last().drop();
    vi.advanceTimersByTime(500);
    last().drop();
    expect(get(live.state).failures).toBe(2);
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    last().push({ op: 'hello', workspace: 'acme' });
    expect(get(live.state)).toMatchObject({ status: 'open', failures: 0 });
  });

  it('stops retrying when the gateway refuses the token', () => {
    live.subscribe('sessions', recorder().listener);
    last().push({ op: 'error', code: 'unauthorized', message: 'the token expired' });
    last().drop(4401, 'unauthorized');
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(get(live.state)).toMatchObject({ status: 'unauthorized', message: 'the token expired' });
  });

  it('gives up on a connection that stops answering pings', () => {
    live.subscribe('sessions', recorder().listener);
    last().push({ op: 'hello', workspace: 'acme' });
    vi.advanceTimersByTime(20_000);
    expect(last().sent.at(-1)).toEqual({ op: 'ping' });
    vi.advanceTimersByTime(5_000);
    expect(sockets[0]!.closedWith).toBe(4000);
    expect(get(live.state).status).toBe('disconnected');
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
  });

  it('keeps a connection that answers its pings', () => {
    live.subscribe('sessions', recorder().listener);
    last().push({ op: 'hello', workspace: 'acme' });
    vi.advanceTimersByTime(20_000);
    last().push({ op: 'pong' });
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
    expect(get(live.state).status).toBe('open');
  });

  it('unsubscribes a topic with its last listener and closes the socket after the last user', () => {
    const stop = live.subscribe('sessions', recorder().listener);
    last().push({ op: 'hello', workspace: 'acme' });
    stop();
    expect(last().sent.at(-1)).toEqual({ op: 'unsubscribe', topic: 'sessions' });
    expect(last().closedWith).toBeNull();
    vi.advanceTimersByTime(1000);
    expect(last().closedWith).toBe(1000);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it('resubscribes a topic behind its cursor when the server reports its feed failed', () => {
    const r = recorder();
    live.subscribe('sessions', r.listener);
    last().push({ op: 'hello', workspace: 'acme' });
    last().push({ op: 'subscribed', topic: 'sessions', cursor: null });
    last().push({ op: 'event', topic: 'sessions', cursor: 30, data: ev('q.0') });
    last().push({ op: 'error', code: 'feed_failed', message: 'the feed stopped', topic: 'sessions' });
    vi.advanceTimersByTime(500);
    expect(last().subscribes().at(-1)).toEqual({ op: 'subscribe', topic: 'sessions', after: 29 });
  });
});
