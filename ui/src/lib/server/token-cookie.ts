import type { Cookies } from '@sveltejs/kit';
import type { TokenClaims } from './token-claims';

/** The cookie the gateway's auth reads (header first, then this cookie, then `?token=`). */
export const TOKEN_COOKIE = 'fw_token';

/** The longest a login lasts when the token itself does not expire sooner. */
const MAX_AGE_SECONDS = 30 * 24 * 3600;

/**
 * Stores the token where page scripts cannot read it (httpOnly), sent only with same-site
 * navigations and requests (Lax), secure whenever the page is served over HTTPS, and kept
 * no longer than the token is valid.
 */
export function setTokenCookie(cookies: Cookies, url: URL, token: string, claims: TokenClaims): void {
  const left = claims.exp === null ? MAX_AGE_SECONDS : Math.floor(claims.exp - Date.now() / 1000);
  cookies.set(TOKEN_COOKIE, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
    maxAge: Math.max(1, Math.min(left, MAX_AGE_SECONDS)),
  });
}

/** Forgets the login. */
export function clearTokenCookie(cookies: Cookies, url: URL): void {
  cookies.delete(TOKEN_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: url.protocol === 'https:',
  });
}
