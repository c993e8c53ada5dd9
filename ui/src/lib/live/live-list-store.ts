import { type Readable, readable } from 'svelte/store';
import { ApiError } from '../api/api-error';
import type { Page } from '../api/resources';
import { reconnectDelay } from './backoff';
import { asLiveEvent } from './live-event';
import { type Keyed, LiveList, type LiveListRules } from './live-list';
import type { LiveSocket } from './live-socket';
import type { WsTopic } from './protocol';

/** What a list page renders. */
export interface LiveListState<T> {
  readonly rows: readonly T[];
  readonly status: 'loading' | 'ready' | 'error';
  /** Why the last load failed; the rows shown, if any, are the last good ones. */
  readonly error: string | null;
  readonly nextCursor: string | null;
}

export interface LiveListStoreOptions<T extends Keyed> {
  readonly socket: Pick<LiveSocket, 'subscribe'>;
  readonly topic: WsTopic;
  readonly rules: LiveListRules<T>;
  readonly load: () => Promise<Page<T>>;
  /** Reload this often as well, for values no event carries (an agent's heartbeat). */
  readonly refreshMs?: number;
}

/**
 * With no feed this long after opening (the socket is down), the page shows a snapshot
 * anyway, under the Disconnected indicator; the feed reloads it once it stands.
 */
export const OFFLINE_LOAD_MS = 1500;

/** A stale view reloads at most this often, however many events call for it. */
const MIN_STALE_RELOAD_MS = 1000;

/** Errors a retry cannot fix: the page shows them and waits for the user. */
const isFinal = (err: unknown) => err instanceof ApiError && [400, 401, 403, 404].includes(err.status);

/**
 * A live list as a store: its first subscriber opens the topic and loads a snapshot once
 * the subscription stands (so no event falls between the two), its last closes the topic.
 * A resumed subscription needs no reload; a fresh one does.
 */
export function liveListStore<T extends Keyed>(opts: LiveListStoreOptions<T>): Readable<LiveListState<T>> {
  const initial: LiveListState<T> = { rows: [], status: 'loading', error: null, nextCursor: null };
  return readable(initial, (set) => {
    const list = new LiveList(opts.rules);
    let state = initial;
    let stopped = false;
    let loading = false;
    let again = false;
    let failures = 0;
    let lastStaleReload = 0;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const later = (fn: () => void, ms: number) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };

    const publish = (patch: Partial<LiveListState<T>> = {}) => {
      const view = list.view();
      state = { ...state, ...patch, rows: view.rows };
      set(state);
      if (view.stale && !loading) {
        const wait = Math.max(0, lastStaleReload + MIN_STALE_RELOAD_MS - Date.now());
        lastStaleReload = Date.now() + wait;
        later(reload, wait);
      }
    };

    async function reload(): Promise<void> {
      if (stopped) return;
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      list.reset();
      try {
        const page = await opts.load();
        if (stopped) return;
        failures = 0;
        list.load(page.items);
        loading = false;
        publish({ status: 'ready', error: null, nextCursor: page.nextCursor ?? null });
      } catch (err) {
        if (stopped) return;
        loading = false;
        const message = err instanceof Error ? err.message : String(err);
        publish({ status: state.status === 'ready' ? 'ready' : 'error', error: message });
        if (!isFinal(err)) later(reload, reconnectDelay(failures++));
      }
      if (again) {
        again = false;
        void reload();
      }
    }

    let live = false;
    later(() => {
      if (!live) void reload();
    }, OFFLINE_LOAD_MS);
    const off = opts.socket.subscribe(opts.topic, {
      subscribed: (continued) => {
        live = true;
        if (!continued) void reload();
      },
      event: (data) => {
        const event = asLiveEvent(data);
        if (!event) return;
        list.apply(event);
        if (!loading) publish();
      },
    });
    const refresh = opts.refreshMs ? setInterval(() => void reload(), opts.refreshMs) : null;

    return () => {
      stopped = true;
      off();
      if (refresh) clearInterval(refresh);
      for (const t of timers) clearTimeout(t);
    };
  });
}
