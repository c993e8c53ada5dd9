import { type Readable, readable } from 'svelte/store';
import { apiGet } from '../api/api-client';
import { ApiError } from '../api/api-error';
import { detailRow, type SessionDetail, type SessionRow } from '../api/resources';
import { reconnectDelay } from '../live/backoff';
import { asLiveEvent, type LiveEvent } from '../live/live-event';
import { LiveList } from '../live/live-list';
import { OFFLINE_LOAD_MS } from '../live/live-list-store';
import type { LiveSocket } from '../live/live-socket';
import { reduceSession } from './session-reducer';

/** What the session page renders. */
export interface SessionDetailState {
  readonly session: SessionRow | null;
  readonly status: 'loading' | 'ready' | 'missing' | 'error';
  readonly error: string | null;
  /** The session's whole history, oldest first, once `following`. */
  readonly timeline: readonly LiveEvent[];
  /** The session's feed has stood: the history holds everything up to now, or up to the last disconnect. */
  readonly following: boolean;
}

/**
 * One session, live: its current view from the API, and its full history from the
 * `session:<id>` feed, which replays from the first event and then follows.
 */
export function sessionDetailStore(
  socket: Pick<LiveSocket, 'subscribe'>,
  id: string,
): Readable<SessionDetailState> {
  const initial: SessionDetailState = {
    session: null,
    status: 'loading',
    error: null,
    timeline: [],
    following: false,
  };
  return readable(initial, (set) => {
    // A list of one: the same snapshot-plus-newer-events rule as the lists. Should the
    // snapshot miss the session, its first event in the replay creates it.
    const list = new LiveList<SessionRow>({
      reduce: reduceSession,
      accepts: (row) => row.id === id,
      showsNew: true,
      mayEnter: () => false,
    });
    let state = initial;
    let stopped = false;
    let failures = 0;
    let retry: ReturnType<typeof setTimeout> | null = null;

    const publish = (patch: Partial<SessionDetailState> = {}) => {
      const view = list.view();
      const session = view.rows[0] ?? null;
      const status = !view.loaded ? state.status : session ? 'ready' : (patch.status ?? state.status);
      state = { ...state, ...patch, session, status };
      set(state);
    };

    let loading = false;
    let again = false;

    /** One load at a time: a second one asked for meanwhile runs after, on a fresh reset. */
    async function load(): Promise<void> {
      if (stopped) return;
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      list.reset();
      try {
        const detail = await apiGet<SessionDetail>(`/sessions/${encodeURIComponent(id)}`);
        if (stopped) return;
        list.load([detailRow(detail)]);
        publish({ error: null });
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && err.status === 404) {
          list.load([]);
          publish({ status: 'missing', error: err.message });
          return;
        }
        publish({ status: state.session ? 'ready' : 'error', error: (err as Error).message });
        if (!(err instanceof ApiError && [400, 401, 403].includes(err.status))) {
          retry = setTimeout(() => void load(), reconnectDelay(failures++));
        }
      } finally {
        loading = false;
        if (again) {
          again = false;
          void load();
        }
      }
    }

    // With the socket down, the summary still shows (under the Disconnected indicator).
    const offline = setTimeout(() => {
      if (!state.following) void load();
    }, OFFLINE_LOAD_MS);
    const off = socket.subscribe(`session:${id}`, {
      subscribed: (continued) => {
        if (continued) return;
        // A fresh subscription replays the history from its start.
        state = { ...state, timeline: [], following: true };
        publish();
        void load();
      },
      event: (data) => {
        const event = asLiveEvent(data);
        if (!event) return;
        list.apply(event);
        state = { ...state, timeline: [...state.timeline, event] };
        publish();
      },
    });

    return () => {
      stopped = true;
      off();
      clearTimeout(offline);
      if (retry) clearTimeout(retry);
    };
  });
}
