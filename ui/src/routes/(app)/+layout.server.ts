import { redirect } from '@sveltejs/kit';
import { guard } from '$lib/server/auth-guard';
import { TOKEN_COOKIE } from '$lib/server/token-cookie';
import type { LayoutServerLoad } from './$types';

/** Every dashboard page needs a login; the claims only label the page (the gateway verifies the token). */
export const load: LayoutServerLoad = ({ cookies, url }) => {
  const decision = guard(url, cookies.get(TOKEN_COOKIE));
  if (decision.kind === 'login') redirect(303, decision.location);
  return { claims: decision.claims };
};
