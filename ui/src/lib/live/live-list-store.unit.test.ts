import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Page } from '../api/resources';
import { type LiveListState, liveListStore, OFFLINE_LOAD_MS } from './live-list-store';
import type { TopicListener } from './live-socket';
import { liveEvent } from './test-events';

interface Row {
  readonly id: string;
  readonly streamSeq: number;
  readonly status: string;
}

/** Plays the socket: the test says when the subscription stands and what arrives. */
function fakeSocket() {
  const listeners: TopicListener[] = [];
  return {
    listeners,
    subscribe: (_topic: string, l: TopicListener) => {
      listeners.push(l);
      return () => listeners.splice(listeners.indexOf(l), 1);
    },
  };
}

function setup(pages: Page<Row>[]) {
  const socket = fakeSocket();
  const load = vi.fn(async () => pages.shift() ?? { items: [], nextCursor: null });
  const store = liveListStore<Row>({
    socket,
    topic: 'sessions',
    load,
    rules: {
      reduce: (row, e) => (row ? { ...row, streamSeq: e.seq, status: String(e.data.status) } : null),
      accepts: () => true,
      showsNew: true,
      mayEnter: () => false,
    },
  });
  let state: LiveListState<Row> | undefined;
  const stop = store.subscribe((s) => {
    state = s;
  });
  return { socket, load, stop, state: () => state! };
}

describe('liveListStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('loads its snapshot once the subscription stands and then follows events', async () => {
    const t = setup([{ items: [{ id: 'a', streamSeq: 3, status: 'Queued' }], nextCursor: 'c1' }]);
    expect(t.load).not.toHaveBeenCalled();
    t.socket.listeners[0]!.subscribed(false);
    await vi.runOnlyPendingTimersAsync();
    expect(t.state()).toMatchObject({ status: 'ready', nextCursor: 'c1', rows: [{ status: 'Queued' }] });
    t.socket.listeners[0]!.event(liveEvent('Changed', 'a', 4, { status: 'Running' }), 4);
    expect(t.state().rows[0]?.status).toBe('Running');
    t.stop();
    expect(t.socket.listeners).toHaveLength(0);
  });

  it('needs no reload when a reconnect resumed behind its cursor, and reloads when it could not', async () => {
    const t = setup([]);
    const l = t.socket.listeners[0]!;
    l.subscribed(false);
    await vi.runOnlyPendingTimersAsync();
    l.subscribed(true);
    await vi.runOnlyPendingTimersAsync();
    expect(t.load).toHaveBeenCalledTimes(1);
    l.subscribed(false);
    await vi.runOnlyPendingTimersAsync();
    expect(t.load).toHaveBeenCalledTimes(2);
    t.stop();
  });

  it('shows a snapshot while the socket is down, and reloads once the feed stands', async () => {
    const t = setup([{ items: [{ id: 'a', streamSeq: 1, status: 'Queued' }] }]);
    await vi.advanceTimersByTimeAsync(OFFLINE_LOAD_MS);
    expect(t.state()).toMatchObject({ status: 'ready', nextCursor: null, rows: [{ id: 'a' }] });
    t.socket.listeners[0]!.subscribed(false);
    await vi.runOnlyPendingTimersAsync();
    expect(t.load).toHaveBeenCalledTimes(2);
    t.stop();
  });

  it('keeps the last good rows and says why when a reload fails, then retries', async () => {
    const t = setup([{ items: [{ id: 'a', streamSeq: 1, status: 'Queued' }] }]);
    t.socket.listeners[0]!.subscribed(false);
    await vi.runOnlyPendingTimersAsync();
    t.load.mockRejectedValueOnce(new Error('the gateway cannot be reached'));
    t.socket.listeners[0]!.subscribed(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(t.state()).toMatchObject({
      status: 'ready',
      error: 'the gateway cannot be reached',
      rows: [{ id: 'a' }],
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.load).toHaveBeenCalledTimes(3);
    expect(t.state().error).toBeNull();
    t.stop();
  });
});
