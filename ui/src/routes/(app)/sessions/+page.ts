import { parseSessionQuery } from '$lib/sessions/session-query';
import type { PageLoad } from './$types';

export const load: PageLoad = ({ url }) => ({ query: parseSessionQuery(url.searchParams) });
