import { ApiError, apiErrorFrom } from './api-error';

type Fetch = typeof fetch;
export type Query = Readonly<Record<string, string | number | undefined | null>>;

/** Called when the gateway rejects the login token, so the app can send the user to /login. */
let onUnauthorized: ((error: ApiError) => void) | null = null;

/** Registers what to do when any call answers 401 (the app layout sends the user to /login). */
export function setUnauthorizedHandler(handler: ((error: ApiError) => void) | null): void {
  onUnauthorized = handler;
}

/** `/api/v1` + path + the defined query parameters. */
export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return `/api/v1${path}${qs ? `?${qs}` : ''}`;
}

interface RequestOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly fetch?: Fetch;
}

/**
 * One same-origin call; the browser sends the httpOnly `fw_token` cookie. Every POST and
 * DELETE carries a fresh Idempotency-Key, so a retried click is applied once.
 */
export async function apiRequest<T>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['idempotency-key'] = crypto.randomUUID();
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(apiUrl(path, opts.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
  } catch {
    throw new ApiError(0, 'network', 'the gateway cannot be reached; check that it is running');
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const error = apiErrorFrom(res.status, body);
    if (res.status === 401) onUnauthorized?.(error);
    throw error;
  }
  return body as T;
}

export const apiGet = <T>(path: string, query?: Query, fetchFn?: Fetch): Promise<T> =>
  apiRequest<T>('GET', path, { query, fetch: fetchFn });
/** The largest page the gateway's short lists (accounts, agents) give. */
const WHOLE_LIST_PAGE = 500;

/**
 * Every item of a paged list: follows `nextCursor` until the last page. For the short lists
 * a page shows whole (accounts, agents); sessions and events page on the user's request.
 */
export async function apiGetEvery<T>(
  path: string,
  query: Query = {},
  fetchFn?: Fetch,
): Promise<{ items: T[]; nextCursor: null }> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: readonly T[]; nextCursor?: string | null } = await apiGet(
      path,
      { ...query, limit: WHOLE_LIST_PAGE, cursor },
      fetchFn,
    );
    items.push(...page.items);
    cursor = page.nextCursor ?? null;
  } while (cursor !== null);
  return { items, nextCursor: null };
}

export const apiPost = <T>(path: string, body?: unknown): Promise<T> => apiRequest<T>('POST', path, { body });
export const apiDelete = <T>(path: string): Promise<T> => apiRequest<T>('DELETE', path);
