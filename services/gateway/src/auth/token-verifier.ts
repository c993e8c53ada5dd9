import type { Principal } from './user-token';
import { tokenKey, verifyUserToken } from './user-token';

/** Verifies user tokens, remembering the ones it has verified until they expire. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
  /** The principal of a token verified before and not yet expired, without waiting. */
  cached(token: string): Principal | undefined;
}

const DEFAULT_CACHE_SIZE = 10_000;

/**
 * A client sends the same token with every request, and checking an HMAC through
 * WebCrypto costs more than the rest of a command. A verified token cannot change, so its
 * principal is kept (bounded, oldest evicted first) until its `exp`; an expired or unknown
 * token goes through full verification, which also says what is wrong with it.
 */
export function createTokenVerifier(jwtSecret: string, cacheSize = DEFAULT_CACHE_SIZE): TokenVerifier {
  const key = tokenKey(jwtSecret);
  const verified = new Map<string, { readonly principal: Principal; readonly expiresAt: number }>();
  const cached = (token: string) => {
    const hit = verified.get(token);
    return hit && Date.now() < hit.expiresAt ? hit.principal : undefined;
  };
  return {
    cached,
    async verify(token) {
      const hit = cached(token);
      if (hit) return hit;
      verified.delete(token);
      const fresh = await verifyUserToken(key, token);
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value as string);
      verified.set(token, fresh);
      return fresh.principal;
    },
  };
}
