import { PROVIDER_ORDER, type Provider } from '../api/resources';

/** A list page's filters, kept in its URL (`?status=&provider=`). */
export interface ListFilter<S extends string> {
  readonly status: S | null;
  readonly provider: Provider | null;
}

/** `value` when it is one of `allowed`, else null: a page drops what it does not know rather than send it on. */
export const pick = <T extends string>(allowed: readonly T[], value: FormDataEntryValue | null): T | null =>
  typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : null;

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

/** The URL of the page at `path` with the parameters that are set. */
export function pageHref(path: string, query: Readonly<Record<string, string | null | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
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
  return pageHref(path, { status: query.status, provider: query.provider, cursor: query.cursor });
}
