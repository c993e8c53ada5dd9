import { parseAuditFilters } from '$lib/audit/audit-query';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ url }) => ({ filters: parseAuditFilters(url.searchParams) });
