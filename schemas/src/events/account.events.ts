import { z } from 'zod';
import { Provider, Timestamp } from '../common';

export const ACCOUNT_STATUSES = ['Verifying', 'Active', 'Cooldown', 'Expired', 'Error', 'Revoked'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const AUTH_TYPES = ['api_key', 'oauth'] as const;
export const AuthType = z.enum(AUTH_TYPES);

/** Where a cooldown's end came from, so users can tell a provider's word from our default. */
export const COOLDOWN_SOURCES = ['retry-after', 'ratelimit-reset', 'default'] as const;
export const CooldownSource = z.enum(COOLDOWN_SOURCES);

export const ACCOUNT_ERROR_CODES = [
  'invalid_credential',
  'missing_permission',
  'spend_limit',
  'provider_error',
] as const;
export const AccountErrorCode = z.enum(ACCOUNT_ERROR_CODES);

export const AccountLinked = z.object({
  provider: Provider,
  label: z.string().min(1).max(100),
  authType: AuthType,
  /** A short non-reversible fingerprint of the credential; never the credential. */
  fingerprint: z.string().min(1).max(64),
  baseUrl: z.url().nullable(),
  maxConcurrent: z.number().int().min(1).max(1000),
});

export const AccountVerificationRequested = z.object({});
export const AccountVerified = z.object({});

export const AccountErrored = z.object({
  code: AccountErrorCode,
  reason: z.string().min(1),
});

export const AccountRateLimited = z.object({
  until: Timestamp,
  source: CooldownSource,
  sessionId: z.string().nullable(),
});

export const AccountCooldownEnded = z.object({});

export const AccountExpired = z.object({ cause: z.string().min(1) });

export const AccountReauthenticated = z.object({ fingerprint: z.string().min(1).max(64) });

export const AccountTokensRefreshed = z.object({
  fingerprint: z.string().min(1).max(64),
  expiresAt: Timestamp,
});

export const AccountRevoked = z.object({ reason: z.string().nullable() });
