import { createSecretKey, type KeyObject } from 'node:crypto';
import { UnauthorizedError } from '@flywheel/core';
import { type Role, TokenClaims } from '@flywheel/schemas';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';

/** Who a request acts for: the verified claims of its token. */
export interface Principal {
  readonly user: string;
  readonly workspace: string;
  readonly role: Role;
}

const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Clocks of the issuer and the gateway may disagree a little. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** The HMAC key for a JWT secret. Make it once: jose imports a KeyObject once, raw bytes on every call. */
export function tokenKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/** Signs an HS256 user token with `sub`, `ws`, `role`, `iat` and `exp`. */
export async function signUserToken(
  key: KeyObject,
  principal: Principal,
  opts: { readonly ttlSeconds: number; readonly now?: Date },
): Promise<string> {
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ ws: principal.workspace, role: principal.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(principal.user)
    .setIssuedAt(iat)
    .setExpirationTime(iat + opts.ttlSeconds)
    .sign(key);
}

function headerAlg(token: string): string {
  try {
    return String(decodeProtectedHeader(token).alg);
  } catch {
    return 'unknown';
  }
}

/** Turns jose's rejection into a sentence that says what is wrong with the token. */
function describeRejection(err: unknown, token: string): string {
  if (err instanceof errors.JWTExpired) {
    const exp =
      typeof err.payload.exp === 'number'
        ? new Date(err.payload.exp * 1000).toISOString()
        : 'an earlier time';
    return `the token expired at ${exp}; get a new one (make token)`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return `the token's algorithm "${headerAlg(token)}" is refused: tokens must be signed with HS256`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) {
    return "the token's signature does not verify: it was not signed with this gateway's JWT_SECRET";
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return err.reason === 'missing'
      ? `the token lacks the "${err.claim}" claim`
      : `the token's "${err.claim}" claim is not valid: ${err.message}`;
  }
  return `the token is malformed: ${(err as Error).message}`;
}

/** A verified token: who it speaks for, and until when (ms since the epoch). */
export interface VerifiedToken {
  readonly principal: Principal;
  readonly expiresAt: number;
}

/**
 * Verifies an HS256 user token and returns its principal. Anything else (no signature,
 * `alg: none`, another algorithm or key, expired, malformed, missing or bad claims) is an
 * `UnauthorizedError` whose message says which.
 */
export async function verifyUserToken(key: KeyObject, token: string): Promise<VerifiedToken> {
  if (!COMPACT_JWT.test(token)) {
    throw new UnauthorizedError(
      'the token is malformed: expected a JWT (three base64url parts joined by dots)',
    );
  }
  let payload: { readonly exp?: number };
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (cause) {
    throw new UnauthorizedError(describeRejection(cause, token), { cause });
  }
  const claims = TokenClaims.safeParse(payload);
  if (!claims.success) {
    const issues = claims.error.issues.map((i) => ({
      path: `token.${i.path.join('.')}`,
      message: i.message,
    }));
    throw new UnauthorizedError(
      `the token's claims are missing or invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { details: { issues } },
    );
  }
  return {
    principal: { user: claims.data.sub, workspace: claims.data.ws, role: claims.data.role },
    // jose checked that exp is present and a number.
    expiresAt: (payload.exp ?? 0) * 1000,
  };
}
