import { ACCOUNT_STATUS_ORDER } from '$lib/api/resources';
import { parseListFilter } from '$lib/live/list-filter';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ url }) => ({
  filter: parseListFilter(url.searchParams, ACCOUNT_STATUS_ORDER),
});
