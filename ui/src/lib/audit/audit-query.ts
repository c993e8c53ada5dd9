import { AGGREGATE_TYPE_ORDER, type AggregateType, EVENT_TYPE_ORDER, type EventType } from '../api/resources';
import { pageHref, pick } from '../live/list-filter';

/** What the audit page shows: its filters, all kept in the URL so a view can be shared. */
export interface AuditFilters {
  readonly aggregateType: AggregateType | null;
  /** Only with `aggregateType`; without it the gateway answers 400 saying so. */
  readonly aggregateId: string | null;
  readonly type: EventType | null;
  readonly actorId: string | null;
}

/** Events per page of the audit log. */
export const AUDIT_PAGE_SIZE = 50;

/** The page's URL parameters, or its form's fields. */
type Fields = { get(name: string): FormDataEntryValue | null };

/** Free text as a filter: trimmed, and nothing when blank. */
const text = (value: FormDataEntryValue | null): string | null =>
  typeof value === 'string' ? value.trim() || null : null;

/**
 * Reads filters from the page's URL or its form. Unknown aggregate and event types are
 * dropped rather than sent; ids go as typed, so the gateway names one it refuses.
 */
export function parseAuditFilters(params: Fields): AuditFilters {
  return {
    aggregateType: pick(AGGREGATE_TYPE_ORDER, params.get('aggregateType')),
    aggregateId: text(params.get('aggregateId')),
    type: pick(EVENT_TYPE_ORDER, params.get('type')),
    actorId: text(params.get('actorId')),
  };
}

/** The URL of the audit page for some filters; the parameters are the API's own. */
export function auditHref(filters: AuditFilters): string {
  return pageHref('/audit', { ...filters });
}

/** Whether any filter narrows the log. */
export function isFiltered(filters: AuditFilters): boolean {
  return Object.values(filters).some((value) => value !== null);
}
