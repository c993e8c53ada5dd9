import type { RateLimited } from './driver';

/** The part of a response's headers this module reads (fetch `Headers` fits). */
export interface HeaderSource {
  get(name: string): string | null;
}

/** Anthropic's limit families; each has `-limit`, `-remaining` and `-reset` headers. */
export const ANTHROPIC_LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;
export type AnthropicLimit = (typeof ANTHROPIC_LIMITS)[number];

export interface CooldownBounds {
  readonly defaultCooldownMs: number;
  readonly maxCooldownMs: number;
}

// Header values are attacker-sized; nothing legitimate here is longer than a timestamp.
const MAX_VALUE_LENGTH = 64;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const DELTA_SECONDS = /^\d+(\.\d+)?$/;

/** `retry-after` as an instant: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (v.length === 0 || v.length > MAX_VALUE_LENGTH) return null;
  // Capped at ~300 years so the instant stays a valid Date whatever digits arrive.
  if (DELTA_SECONDS.test(v)) return nowMs + Math.round(Math.min(Number(v), 1e10) * 1000);
  // Only accept something that looks like a date, since Date.parse is lenient with garbage.
  if (!/[a-z]{3}/i.test(v)) return null;
  const at = Date.parse(v);
  return Number.isFinite(at) ? at : null;
}

/** An `anthropic-ratelimit-*-reset` value (RFC 3339) as epoch milliseconds. */
export function parseResetTime(value: string | null): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (v.length > MAX_VALUE_LENGTH || !RFC3339.test(v)) return null;
  const at = Date.parse(v);
  return Number.isFinite(at) ? at : null;
}

/**
 * The instants a 429 names as "usable again": `retry-after`, and the resets of the limits
 * that are exhausted (`-remaining: 0`). When no family reports itself exhausted (or the
 * remaining headers are missing) every reset present is relevant, since we cannot tell
 * which one tripped.
 */
export function resetCandidates(
  headers: HeaderSource,
  nowMs: number,
): { readonly retryAfter: number | null; readonly resets: readonly number[] } {
  const families = ANTHROPIC_LIMITS.map((limit) => ({
    reset: parseResetTime(headers.get(`anthropic-ratelimit-${limit}-reset`)),
    remaining: headers.get(`anthropic-ratelimit-${limit}-remaining`)?.trim() ?? null,
  })).filter((f): f is { reset: number; remaining: string | null } => f.reset !== null);
  const exhausted = families.filter((f) => f.remaining !== null && Number(f.remaining) <= 0);
  const relevant = exhausted.length > 0 ? exhausted : families;
  return {
    retryAfter: parseRetryAfter(headers.get('retry-after'), nowMs),
    resets: relevant.map((f) => f.reset),
  };
}

/**
 * Maps a rate-limit response to the instant the account may be used again: the latest of
 * the relevant signals (a limit is over only when all that tripped are over), ignoring any
 * already in the past, falling back to the default cooldown, clamped to the maximum.
 */
export function rateLimitUntil(
  headers: HeaderSource,
  nowMs: number,
  bounds: CooldownBounds,
  message: string,
): RateLimited {
  const { retryAfter, resets } = resetCandidates(headers, nowMs);
  const future = [
    ...(retryAfter !== null && retryAfter > nowMs
      ? [{ at: retryAfter, source: 'retry-after' as const }]
      : []),
    ...resets.filter((at) => at > nowMs).map((at) => ({ at, source: 'ratelimit-reset' as const })),
  ];
  if (future.length === 0) {
    const seconds = Math.round(bounds.defaultCooldownMs / 1000);
    return {
      kind: 'rate_limited',
      until: new Date(nowMs + bounds.defaultCooldownMs),
      source: 'default',
      message: `${message} (no usable reset time from the provider; cooling down the default ${seconds} s)`,
    };
  }
  const latest = future.reduce((a, b) => (b.at > a.at ? b : a));
  const limit = nowMs + bounds.maxCooldownMs;
  if (latest.at > limit) {
    const minutes = Math.round(bounds.maxCooldownMs / 60_000);
    return {
      kind: 'rate_limited',
      until: new Date(limit),
      source: latest.source,
      message: `${message} (provider reset ${new Date(latest.at).toISOString()} clamped to ${minutes} min)`,
    };
  }
  return { kind: 'rate_limited', until: new Date(latest.at), source: latest.source, message };
}
