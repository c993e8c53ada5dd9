import { backoffDelay, type RetryPolicy } from './driver-options';

/** An attempt that failed in a way another try on the same account may fix. */
export interface TransientFailure {
  readonly kind: 'transient';
  readonly reason: string;
  /** The provider's `retry-after`, if it sent one. */
  readonly retryAfterMs: number | null;
  /** Output already reached the caller, so a retry would repeat it. */
  readonly textEmitted?: boolean;
}

export type RetryEnd = { readonly kind: 'gave_up'; readonly reason: string } | { readonly kind: 'cancelled' };

/**
 * Runs `attempt` until it returns something other than a transient failure, backing off
 * between tries. Gives up after the policy's attempts, when output has already been
 * emitted, or when the provider asks for a longer wait than the policy allows (the
 * caller's caller may then hand the work to another account or agent).
 */
export async function retryTransient<T extends { readonly kind: string }>(
  policy: RetryPolicy,
  random: () => number,
  signal: AbortSignal | null,
  attempt: () => Promise<T | TransientFailure>,
): Promise<T | RetryEnd> {
  for (let tries = 1; ; tries++) {
    if (signal?.aborted) return { kind: 'cancelled' };
    const result = await attempt();
    if (!isTransient(result)) return result;
    if (result.textEmitted) {
      return {
        kind: 'gave_up',
        reason: `${result.reason}; not retried because output had already been streamed`,
      };
    }
    if (tries >= policy.attempts) {
      return { kind: 'gave_up', reason: `${result.reason} (gave up after ${tries} attempts)` };
    }
    if (result.retryAfterMs !== null && result.retryAfterMs > policy.maxRetryAfterMs) {
      const seconds = Math.ceil(result.retryAfterMs / 1000);
      return { kind: 'gave_up', reason: `${result.reason} (the provider asked to wait ${seconds} s)` };
    }
    const delay = backoffDelay(policy, tries, random, result.retryAfterMs);
    if (!(await sleep(delay, signal))) return { kind: 'cancelled' };
  }
}

function isTransient(value: { readonly kind: string }): value is TransientFailure {
  return value.kind === 'transient';
}

/** Waits `ms`; resolves false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | null): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
