import { ForbiddenError, UnauthorizedError } from '@flywheel/core';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type Action, describeAction, mayAct, rolesFor } from '../auth/permissions';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Principal } from '../auth/user-token';

/** A route's rule: `public`, or the action its caller's role must be allowed. */
export type RouteAuth = 'public' | Action;

declare module 'fastify' {
  interface FastifyContextConfig {
    readonly auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** Set by the auth plugin for every non-public route; read it with `principalOf`. */
    principal: Principal | null;
  }
}

export interface AuthOptions {
  /** Shared with `/ws`, so a token verified for one is cached for both. */
  readonly tokens: TokenVerifier;
  /** PUBLIC_URL: where browsers load the dashboard from. */
  readonly publicUrl: string;
}

/** Routes under this prefix must declare `config.auth`; a forgotten rule fails at start-up. */
const API_PREFIX = '/api/';

/** The cookie browser users carry after the OIDC login. */
export const TOKEN_COOKIE = 'fw_token';

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}

/** The token from the Authorization header, else the `fw_token` cookie, else `?token=`. */
export function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
    if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"');
    return match[1];
  }
  const cookie = cookieValue(request.headers.cookie, TOKEN_COOKIE);
  if (cookie) return cookie;
  const query = (request.query as Record<string, unknown> | undefined)?.token;
  if (query === undefined) return undefined;
  if (typeof query !== 'string') throw new UnauthorizedError('send one ?token= at most');
  return query;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A browser sends the `fw_token` cookie with requests other sites make it send (SameSite=Lax
 * still counts another port on the same host as the same site). A cookie-authenticated
 * request that changes something must therefore come from our own origin.
 */
function crossSiteCookieRequest(request: FastifyRequest, publicOrigin: string): boolean {
  if (SAFE_METHODS.has(request.method) || request.headers.authorization !== undefined) return false;
  if (cookieValue(request.headers.cookie, TOKEN_COOKIE) === undefined) return false;
  const origin = request.headers.origin;
  if (origin === undefined) return request.headers['sec-fetch-site'] !== 'same-origin';
  return origin !== publicOrigin && origin !== `${request.protocol}://${request.host}`;
}

/** The verified caller of a non-public route. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new UnauthorizedError('this route needs a token');
  return request.principal;
}

/**
 * Authentication and authorisation. Every API route must declare `config.auth` (checked
 * when it is registered, so a forgotten rule fails at start-up, not in production); the
 * token is checked before the body is even read.
 */
export const authPlugin = fp<AuthOptions>(
  async (app, opts) => {
    const { tokens } = opts;
    const publicOrigin = new URL(opts.publicUrl).origin;
    app.decorateRequest('principal', null);

    app.addHook('onRoute', (route) => {
      if (route.url.startsWith(API_PREFIX) && route.config?.auth === undefined) {
        throw new Error(
          `route ${String(route.method)} ${route.url} declares no config.auth (an action or 'public')`,
        );
      }
    });

    /** Null when the principal may act on the route; the error to answer otherwise. */
    const authorize = (request: FastifyRequest, principal: Principal, rule: Action): Error | null => {
      if (crossSiteCookieRequest(request, publicOrigin)) {
        return new ForbiddenError(
          `cross-site request refused: a request authenticated by the ${TOKEN_COOKIE} cookie must come from ${publicOrigin} (or send Authorization: Bearer)`,
        );
      }
      if (!mayAct(principal.role, rule)) {
        return new ForbiddenError(
          `role ${principal.role} may not ${describeAction(rule)}; that needs ${rolesFor(rule).join(' or ')}`,
          { details: { role: principal.role, action: rule } },
        );
      }
      request.principal = principal;
      return null;
    };

    // Callback style with a synchronous path for a token already verified: this hook runs
    // on every request, and a promise per request is measurable at thousands per second.
    app.addHook('onRequest', (request, _reply, done) => {
      const rule = request.routeOptions.config.auth;
      // No rule: the not-found handler (an unknown route is a 404 for everyone), or an
      // operational route outside the API (/health, /metrics, /ws does its own check).
      if (rule === undefined || rule === 'public') return done();
      let token: string | undefined;
      try {
        token = tokenOf(request);
      } catch (err) {
        return done(err as Error);
      }
      if (!token) {
        return done(
          new UnauthorizedError(
            'no token: send "Authorization: Bearer <token>" (make token prints one), the fw_token cookie or ?token=',
          ),
        );
      }
      const known = tokens.cached(token);
      if (known) return done(authorize(request, known, rule) ?? undefined);
      tokens.verify(token).then(
        (principal) => done(authorize(request, principal, rule) ?? undefined),
        (err: Error) => done(err),
      );
    });
  },
  { name: 'auth' },
);
