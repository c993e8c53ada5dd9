import { fail, redirect } from '@sveltejs/kit';
import { env } from '$env/dynamic/private';
import { safeNext } from '$lib/server/auth-guard';
import { readTokenClaims } from '$lib/server/token-claims';
import { setTokenCookie } from '$lib/server/token-cookie';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = ({ url }) => ({
  reason: url.searchParams.get('reason'),
  next: safeNext(url.searchParams.get('next')),
  // Browser sign-in through OIDC comes in a later stage; until then the page says so.
  oidcConfigured: Boolean(env.OIDC_ISSUER),
});

export const actions: Actions = {
  /** Keeps a pasted token in the httpOnly cookie the gateway reads, then goes where the user was headed. */
  default: async ({ request, cookies, url }) => {
    const form = await request.formData();
    const token = String(form.get('token') ?? '').trim();
    const next = safeNext(String(form.get('next') ?? ''));
    const read = readTokenClaims(token);
    if (!read.ok) return fail(400, { message: read.message });
    setTokenCookie(cookies, url, token, read.claims);
    redirect(303, next);
  },
};
