import { readTokenClaims, type TokenClaims } from './token-claims';

/** Pages anyone may open; everything else needs a login. */
const PUBLIC_PATHS = ['/login', '/logout'];

export type GuardDecision =
  | { readonly kind: 'allow'; readonly claims: TokenClaims | null }
  | { readonly kind: 'login'; readonly location: string; readonly clearCookie: boolean };

/** Where a request may go: on, or to /login (back to where it was headed once logged in). */
export function guard(url: URL, token: string | undefined): GuardDecision {
  const claims = token ? readTokenClaims(token) : null;
  if (PUBLIC_PATHS.some((p) => url.pathname === p || url.pathname.startsWith(`${p}/`))) {
    return { kind: 'allow', claims: claims?.ok ? claims.claims : null };
  }
  if (claims?.ok) return { kind: 'allow', claims: claims.claims };
  const params = new URLSearchParams();
  // SvelteKit's data requests carry the page path plus a suffix; the user wants the page.
  const page = url.pathname.replace(/\/__data\.json$/, '') || '/';
  if (page !== '/') params.set('next', page + url.search);
  if (claims && !claims.ok) params.set('reason', claims.message);
  const qs = params.toString();
  return { kind: 'login', location: qs ? `/login?${qs}` : '/login', clearCookie: claims !== null };
}

/** A same-site path to go to after login; anything else (another host, `//evil`) becomes `/sessions`. */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/sessions';
  if (next === '/login' || next.startsWith('/login?') || next.startsWith('/logout')) return '/sessions';
  return next;
}
