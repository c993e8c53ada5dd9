import type { Readable } from 'svelte/store';
import { apiGet } from '../api/api-client';
import type { Page, SessionRow } from '../api/resources';
import { type LiveListState, liveListStore } from '../live/live-list-store';
import type { LiveSocket } from '../live/live-socket';
import type { SessionQuery } from './session-query';
import { reduceSession, statusAfter } from './session-reducer';

/** Whether a session matches the page's filters. */
export function matchesQuery(query: SessionQuery, row: SessionRow): boolean {
  return (
    (!query.status || row.status === query.status) && (!query.provider || row.provider === query.provider)
  );
}

/** The sessions list for one query, kept live by the `sessions` feed. */
export function sessionsStore(socket: LiveSocket, query: SessionQuery): Readable<LiveListState<SessionRow>> {
  const newest = query.cursor === null;
  return liveListStore<SessionRow>({
    socket,
    topic: 'sessions',
    load: () =>
      apiGet<Page<SessionRow>>('/sessions', {
        status: query.status,
        provider: query.provider,
        cursor: query.cursor,
        limit: query.limit,
      }),
    rules: {
      reduce: reduceSession,
      accepts: (row) => matchesQuery(query, row),
      showsNew: newest,
      // A session this page does not hold moved into the status it filters on: reload to show it.
      mayEnter: (event) => newest && query.status !== null && statusAfter(event.type) === query.status,
    },
  });
}
