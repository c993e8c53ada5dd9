import { type Provider, SESSION_STATUS_ORDER, type SessionStatus } from '../api/resources';
import { listHref, parseListFilter } from '../live/list-filter';

/** What the sessions page shows: its filters and which page. */
export interface SessionQuery {
  readonly status: SessionStatus | null;
  readonly provider: Provider | null;
  /** The page after this cursor; null for the newest page, the one that shows new sessions. */
  readonly cursor: string | null;
  readonly limit: number;
}

export const SESSION_PAGE_SIZE = 50;
/** The most sessions one page of the API holds. */
export const SESSION_PAGE_SIZE_MAX = 200;

/** Reads the page's URL; unknown values are dropped rather than sent to the API. */
export function parseSessionQuery(params: URLSearchParams): SessionQuery {
  const cursor = params.get('cursor');
  return {
    ...parseListFilter(params, SESSION_STATUS_ORDER),
    cursor: cursor && cursor.length <= 1000 ? cursor : null,
    limit: SESSION_PAGE_SIZE,
  };
}

/** The URL of the sessions page for a query (filters kept, paging as given). */
export function sessionsHref(query: Pick<SessionQuery, 'status' | 'provider' | 'cursor'>): string {
  return listHref('/sessions', query);
}
