import { type Readable, writable } from 'svelte/store';
import { apiGet } from '../api/api-client';
import type { AuditEvent, AuditPage } from '../api/resources';
import { AUDIT_PAGE_SIZE, type AuditFilters } from './audit-query';

/** What the audit page renders. */
export interface AuditLogState {
  /** Newest first: the first page, then each older page asked for. */
  readonly events: readonly AuditEvent[];
  /** A first page has arrived (it may hold no events). */
  readonly loaded: boolean;
  /** A page is on its way. */
  readonly busy: boolean;
  /** Why the last load failed; the events shown, if any, are the last good ones. */
  readonly error: string | null;
  /** The cursor of the next, older page; null on the last one. */
  readonly nextCursor: string | null;
}

/** The audit log for one set of filters, loaded a page at a time; it does not follow new events. */
export interface AuditLog extends Readable<AuditLogState> {
  /** Appends the next, older page (nothing while a page loads or when there is none). */
  more(): void;
  /** Loads the newest page again; what is shown stays until it arrives. */
  refresh(): void;
}

export type AuditPageLoader = (filters: AuditFilters, cursor: string | null) => Promise<AuditPage>;

/** One page of the gateway's audit log, newest first, after `cursor` when given. */
export const fetchAuditPage: AuditPageLoader = (filters, cursor) =>
  apiGet<AuditPage>('/events', { ...filters, cursor, limit: AUDIT_PAGE_SIZE });

/** The log for `filters`: its first subscriber loads the newest page. */
export function auditLogStore(filters: AuditFilters, load: AuditPageLoader = fetchAuditPage): AuditLog {
  let state: AuditLogState = { events: [], loaded: false, busy: false, error: null, nextCursor: null };
  // Each refresh, and the last unsubscribe, outdates the pages still on their way.
  let generation = 0;
  const store = writable(state, () => {
    refresh();
    return () => {
      generation++;
    };
  });
  const update = (patch: Partial<AuditLogState>) => {
    state = { ...state, ...patch };
    store.set(state);
  };

  async function loadPage(cursor: string | null, current: number): Promise<void> {
    update({ busy: true, error: null });
    try {
      const page = await load(filters, cursor);
      if (current !== generation) return;
      update({
        events: cursor === null ? page.items : [...state.events, ...page.items],
        nextCursor: page.nextCursor,
        loaded: true,
        busy: false,
      });
    } catch (err) {
      if (current !== generation) return;
      update({ busy: false, error: (err as Error).message });
    }
  }

  function refresh(): void {
    void loadPage(null, ++generation);
  }

  function more(): void {
    if (state.busy || state.nextCursor === null) return;
    void loadPage(state.nextCursor, generation);
  }

  return { subscribe: store.subscribe, more, refresh };
}
