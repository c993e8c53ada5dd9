import type { Role } from '@flywheel/schemas';

/** What the dashboard reads from a token to greet the user; the gateway alone verifies it. */
export interface TokenClaims {
  readonly user: string;
  readonly workspace: string;
  readonly role: Role;
  /** Expiry, epoch seconds; null when the token has none. */
  readonly exp: number | null;
}

const ROLES: readonly string[] = ['admin', 'operator', 'viewer'] satisfies readonly Role[];
const COMPACT_JWT = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/;

export type ClaimsResult =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly message: string };

/**
 * Reads the claims of a pasted token without verifying its signature (the gateway does
 * that on every call); catches what a paste gets wrong, with a message saying what to do.
 */
export function readTokenClaims(token: string, nowSeconds: number = Date.now() / 1000): ClaimsResult {
  const fail = (message: string): ClaimsResult => ({ ok: false, message });
  if (token.length === 0) return fail('paste a token: `make token ROLE=admin WS=<workspace>` prints one');
  if (token.length > 8192) return fail('that is too long for a token; paste only the token line');
  const match = COMPACT_JWT.exec(token);
  if (!match)
    return fail('that is not a token: expected three dot-separated parts (header.payload.signature)');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(match[1]!, 'base64url').toString('utf8'));
  } catch {
    return fail("that token's payload is not readable JSON; copy the whole token again");
  }
  if (typeof payload !== 'object' || payload === null)
    return fail("that token's payload is not a JSON object");
  const p = payload as Record<string, unknown>;
  if (typeof p.sub !== 'string' || p.sub === '') return fail('the token lacks the "sub" (user) claim');
  if (typeof p.ws !== 'string' || p.ws === '') return fail('the token lacks the "ws" (workspace) claim');
  if (typeof p.role !== 'string' || !ROLES.includes(p.role)) {
    return fail(`the token's "role" must be one of ${ROLES.join(', ')}`);
  }
  const exp = typeof p.exp === 'number' ? p.exp : null;
  if (exp !== null && exp <= nowSeconds) {
    return fail(`the token expired at ${new Date(exp * 1000).toISOString()}; get a new one (make token)`);
  }
  return { ok: true, claims: { user: p.sub, workspace: p.ws, role: p.role as Role, exp } };
}
