import { PROVIDER_ORDER, type Provider } from '../api/resources';

/** A list page's filters, kept in its URL (`?status=&provider=`). */
export interface ListFilter<S extends string> {
  readonly status: S | null;
  readonly provider: Provider | null;
}

const pick = <T extends string>(allowed: readonly T[], value: string | null): T | null =>
  value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : null;

/** Reads a list page's filters from its URL; values it does not know are dropped rather than sent on. */
export function parseListFilter<S extends string>(
  params: URLSearchParams,
  statuses: readonly S[],
): ListFilter<S> {
  return {
    status: pick(statuses, params.get('status')),
    provider: pick(PROVIDER_ORDER, params.get('provider')),
  };
}

/** The URL of the list page at `path` with these filters (and a cursor, for paged lists). */
export function listHref(
  path: string,
  query: {
    readonly status: string | null;
    readonly provider: string | null;
    readonly cursor?: string | null;
  },
): string {
  const params = new URLSearchParams();
  if (query.status) params.set('status', query.status);
  if (query.provider) params.set('provider', query.provider);
  if (query.cursor) params.set('cursor', query.cursor);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}
