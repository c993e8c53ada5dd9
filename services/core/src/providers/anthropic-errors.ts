import { z } from 'zod';
import {
  type CooldownBounds,
  type HeaderSource,
  parseRetryAfter,
  rateLimitUntil,
} from './anthropic-rate-limit';
import type { CredentialRejected, RateLimited } from './driver';

/** What one failed Anthropic response means for the attempt. */
export type ClassifiedFailure =
  | RateLimited
  | CredentialRejected
  /** Worth retrying on the same account (overload, server error, timeout). */
  | { readonly kind: 'transient'; readonly reason: string; readonly retryAfterMs: number | null }
  | { readonly kind: 'failed'; readonly reason: string; readonly retryable: false };

/** Anthropic's error body: `{ type: 'error', error: { type, message }, request_id? }`. */
export const AnthropicErrorBody = z.object({
  type: z.literal('error'),
  error: z.object({
    type: z.string(),
    message: z.string().default(''),
    details: z.object({ error_code: z.string().optional() }).loose().nullish(),
  }),
});
export type AnthropicErrorBody = z.infer<typeof AnthropicErrorBody>;

const MAX_MESSAGE = 300;

/** Provider text goes into reasons users read: one line, bounded, no control characters. */
export function cleanText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}…` : flat;
}

/** The error type and message of a body, JSON or not (proxies answer with HTML). */
export function describeErrorBody(body: string): {
  readonly type: string | null;
  readonly message: string;
  readonly errorCode: string | null;
} {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { type: null, message: body.trim() === '' ? 'empty body' : cleanText(body), errorCode: null };
  }
  const parsed = AnthropicErrorBody.safeParse(json);
  if (!parsed.success) return { type: null, message: cleanText(body), errorCode: null };
  const { error } = parsed.data;
  return {
    type: error.type,
    message: cleanText(error.message),
    errorCode: error.details?.error_code ?? null,
  };
}

// Anthropic reports an exhausted balance or a workspace/organisation spend cap as a 400
// invalid_request_error whose message is the only distinguishing signal.
const SPEND_MESSAGE = /credit balance|spend|billing|usage limit/i;
const TRANSIENT_ERROR_TYPES = new Set(['overloaded_error', 'api_error', 'timeout_error']);

/** Classifies a non-2xx response (status, headers, body text) into an outcome. */
export function classifyErrorResponse(
  status: number,
  headers: HeaderSource,
  body: string,
  nowMs: number,
  bounds: CooldownBounds,
): ClassifiedFailure {
  const { type, message, errorCode } = describeErrorBody(body);
  const requestId = headers.get('request-id');
  const reason = `Anthropic answered ${status}${type ? ` ${type}` : ''}: ${message}${
    requestId ? ` (request-id ${cleanText(requestId)})` : ''
  }`;
  if (status === 401) return { kind: 'credential_rejected', code: 'invalid_credential', reason };
  if (status === 403) return { kind: 'credential_rejected', code: 'missing_permission', reason };
  if (status === 402) return { kind: 'credential_rejected', code: 'spend_limit', reason };
  if (status === 429) {
    if (errorCode === 'enforced_spend_limit_reached' || /spend limit/i.test(message)) {
      return { kind: 'credential_rejected', code: 'spend_limit', reason };
    }
    return rateLimitUntil(headers, nowMs, bounds, reason);
  }
  if (status === 400 && SPEND_MESSAGE.test(message)) {
    return { kind: 'credential_rejected', code: 'spend_limit', reason };
  }
  if (status === 408 || status >= 500) {
    const at = parseRetryAfter(headers.get('retry-after'), nowMs);
    return { kind: 'transient', reason, retryAfterMs: at === null ? null : Math.max(0, at - nowMs) };
  }
  if (status >= 300 && status < 400) {
    const location = headers.get('location');
    return {
      kind: 'failed',
      retryable: false,
      reason: `the provider endpoint redirects (${status}${location ? ` to ${cleanText(location)}` : ''}); set the account's baseUrl to the final address`,
    };
  }
  return { kind: 'failed', retryable: false, reason };
}

/** Classifies an `error` event that arrives inside a 200 stream. */
export function classifyStreamError(
  data: string,
  headers: HeaderSource,
  nowMs: number,
  bounds: CooldownBounds,
): ClassifiedFailure {
  const { type, message } = describeErrorBody(data);
  const reason = `Anthropic stream error${type ? ` ${type}` : ''}: ${message}`;
  if (type !== null && TRANSIENT_ERROR_TYPES.has(type))
    return { kind: 'transient', reason, retryAfterMs: null };
  if (type === 'rate_limit_error') return rateLimitUntil(headers, nowMs, bounds, reason);
  if (type === 'authentication_error')
    return { kind: 'credential_rejected', code: 'invalid_credential', reason };
  if (type === 'permission_error') return { kind: 'credential_rejected', code: 'missing_permission', reason };
  if (type === 'billing_error') return { kind: 'credential_rejected', code: 'spend_limit', reason };
  return { kind: 'failed', retryable: false, reason };
}
