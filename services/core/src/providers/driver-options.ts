/**
 * Tuning every driver accepts. Defaults suit production; tests shorten the waits. Times are
 * milliseconds.
 */
export interface DriverOptions {
  /** Transient failures (overload, 5xx, network, timeouts) are retried on the same account. */
  readonly retry?: RetryPolicy;
  /** Longest wait for response headers before the attempt counts as a timeout. */
  readonly responseTimeoutMs?: number;
  /** Longest silence inside a streaming body (pings count as activity). */
  readonly idleTimeoutMs?: number;
  /** Cooldown when a rate limit names no usable reset time. */
  readonly defaultCooldownMs?: number;
  /** Upper bound on any cooldown, whatever the provider claims. */
  readonly maxCooldownMs?: number;
  /** The clock, as epoch milliseconds. */
  readonly now?: () => number;
  /** Uniform in [0, 1); drives backoff jitter. */
  readonly random?: () => number;
}

/** Bounded exponential backoff with jitter. */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A provider's `retry-after` longer than this is not waited out: the attempt is given back. */
  readonly maxRetryAfterMs: number;
}

export interface ResolvedDriverOptions {
  readonly retry: RetryPolicy;
  readonly responseTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly defaultCooldownMs: number;
  readonly maxCooldownMs: number;
  readonly now: () => number;
  readonly random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/** Fills in the defaults (documented in docs/architecture.md, "Providers"). */
export function resolveDriverOptions(options: DriverOptions = {}): ResolvedDriverOptions {
  return {
    retry: options.retry ?? DEFAULT_RETRY_POLICY,
    responseTimeoutMs: options.responseTimeoutMs ?? 60_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    defaultCooldownMs: options.defaultCooldownMs ?? 60_000,
    // Anthropic's limits are per minute; an hour covers any honest reset while a broken or
    // hostile header ("reset in 2099") cannot park an account for years.
    maxCooldownMs: options.maxCooldownMs ?? 60 * 60_000,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  };
}

/**
 * The wait before retry number `retry` (1 = the first retry): exponential from the base,
 * capped, with "equal jitter" (half fixed, half random) so that many agents hitting one
 * overload do not come back in lockstep yet never retry immediately. A provider's
 * `retry-after` is a floor, never shortened.
 */
export function backoffDelay(
  policy: RetryPolicy,
  retry: number,
  random: () => number,
  retryAfterMs: number | null,
): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const jittered = exp / 2 + (exp / 2) * random();
  return Math.max(jittered, retryAfterMs ?? 0);
}
