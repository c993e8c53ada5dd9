import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { CheckResult } from './check';

/** Explains why a token the user holds would get a 401, without printing the token. */
export async function checkToken(secret: string, token: string): Promise<CheckResult> {
  const base = { area: 'auth', name: 'token', symptom: 'Invalid token' } as const;
  try {
    const { payload } = await jwtVerify(
      token.trim().replace(/^Bearer\s+/i, ''),
      new TextEncoder().encode(secret),
      {
        algorithms: ['HS256'],
      },
    );
    const missing = ['sub', 'ws', 'role'].filter((c) => typeof payload[c] !== 'string');
    if (missing.length > 0) {
      return {
        ...base,
        status: 'fail',
        detail: `valid signature but missing claims: ${missing.join(', ')}`,
        fix: ['mint one with make token ROLE=admin WS=<workspace>'],
      };
    }
    const exp = payload.exp ? new Date(payload.exp * 1000).toISOString() : 'never';
    return {
      area: 'auth',
      name: 'token',
      status: 'ok',
      detail: `valid for ${payload.sub} in ${payload.ws} as ${payload.role}, expires ${exp}`,
    };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      const exp = decodeJwt(token).exp;
      return {
        ...base,
        status: 'fail',
        detail: `expired at ${exp ? new Date(exp * 1000).toISOString() : '?'}`,
        fix: ['mint a new one: make token'],
      };
    }
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
      return {
        ...base,
        status: 'fail',
        detail: 'signed with a different secret than this JWT_SECRET',
        fix: [
          'keep JWT_SECRET the same across restarts (set it, or keep data/dev-secrets.json)',
          'mint a new token: make token',
        ],
      };
    }
    return {
      ...base,
      status: 'fail',
      detail: `not a usable token: ${(err as Error).message}`,
      fix: ['send it as: Authorization: Bearer <token>', 'mint one with make token'],
    };
  }
}
