import { z } from 'zod';
import { Provider } from '../common';
import { SubjectToken } from '../envelope';
import {
  ACCOUNT_ERROR_CODES,
  ACCOUNT_STATUSES,
  AUTH_TYPES,
  COOLDOWN_SOURCES,
} from '../events/account.events';

export const DEFAULT_MAX_CONCURRENT = 4;

/** `POST /api/v1/accounts`: link an API-key account. The key goes to the vault, never further. */
export const LinkAccountBody = z
  .strictObject({
    provider: Provider,
    label: z.string().min(1).max(100),
    apiKey: z
      .string()
      .min(8, 'an API key has at least 8 characters')
      .max(4096)
      .regex(/^[\x21-\x7e]+$/, 'an API key is printable ASCII without spaces'),
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://api.anthropic.com' })
      .max(2048)
      .optional()
      .describe('a proxy or compatible endpoint instead of the provider default'),
    maxConcurrent: z.number().int().min(1).max(1000).default(DEFAULT_MAX_CONCURRENT),
  })
  .meta({ id: 'LinkAccountBody' });
export type LinkAccountBody = z.infer<typeof LinkAccountBody>;

/** For commands that take no input (verify, revoke): no body (Fastify gives null), or an empty object. */
export const EmptyBody = z.strictObject({}).nullish();

export const AccountIdParams = z.strictObject({ id: SubjectToken });

/**
 * An account as users see it: never the credential, only its fingerprint. Strict, so a
 * handler that tried to return anything more fails instead of leaking it.
 */
export const AccountView = z
  .strictObject({
    id: z.string(),
    provider: Provider,
    label: z.string(),
    authType: z.enum(AUTH_TYPES),
    status: z.enum(ACCOUNT_STATUSES),
    fingerprint: z.string(),
    baseUrl: z.string().nullable(),
    maxConcurrent: z.number().int(),
    tokenExpiresAt: z.string().nullable(),
    /** Running cooldown (Cooldown), or the one that resumes after re-verification (Verifying). */
    cooldown: z.strictObject({ until: z.string(), source: z.enum(COOLDOWN_SOURCES) }).nullable(),
    error: z.strictObject({ code: z.enum(ACCOUNT_ERROR_CODES), reason: z.string() }).nullable(),
    expiredCause: z.string().nullable(),
    revokedReason: z.string().nullable(),
    /** Stream sequence of the account's last commit. */
    streamSeq: z.number().int(),
  })
  .meta({ id: 'Account' });
export type AccountView = z.infer<typeof AccountView>;
