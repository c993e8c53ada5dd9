import { describe, expect, it } from 'vitest';
import { backoffDelay, type RetryPolicy } from './driver-options';
import { retryTransient, type TransientFailure } from './transient-retry';

const policy: RetryPolicy = { attempts: 4, baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 1_000 };
const transient = (extra: Partial<TransientFailure> = {}): TransientFailure => ({
  kind: 'transient',
  reason: 'overloaded',
  retryAfterMs: null,
  ...extra,
});

describe('backoffDelay', () => {
  const wide: RetryPolicy = { attempts: 10, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 };

  it('doubles per retry, capped, with half of it random', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(wide, n, () => 0, null))).toEqual([
      250, 500, 1000, 2000, 4000, 4000,
    ]);
    expect(backoffDelay(wide, 3, () => 0.999_999, null)).toBeCloseTo(2000, 0);
  });

  it("never retries sooner than the provider's retry-after", () => {
    expect(backoffDelay(wide, 1, () => 0.5, 5_000)).toBe(5_000);
    expect(backoffDelay(wide, 6, () => 0, 100)).toBe(4_000);
  });
});

describe('retryTransient', () => {
  it('returns the first non-transient result and counts the tries', async () => {
    const results = [transient(), transient(), { kind: 'done' as const }];
    let tries = 0;
    const end = await retryTransient(policy, Math.random, null, async () => results[tries++]!);
    expect(end).toEqual({ kind: 'done' });
    expect(tries).toBe(3);
  });

  it('gives up after the policy attempts with the last reason', async () => {
    let tries = 0;
    const end = await retryTransient(policy, Math.random, null, async () => {
      tries++;
      return transient();
    });
    expect(end).toEqual({ kind: 'gave_up', reason: 'overloaded (gave up after 4 attempts)' });
    expect(tries).toBe(4);
  });

  it('does not retry once text reached the caller', async () => {
    let tries = 0;
    const end = await retryTransient(policy, Math.random, null, async () => {
      tries++;
      return transient({ textEmitted: true });
    });
    expect(end.kind).toBe('gave_up');
    expect(tries).toBe(1);
  });

  it('hands back instead of waiting out a retry-after longer than allowed', async () => {
    let tries = 0;
    const end = await retryTransient(policy, Math.random, null, async () => {
      tries++;
      return transient({ retryAfterMs: 120_000 });
    });
    expect(end).toEqual({ kind: 'gave_up', reason: 'overloaded (the provider asked to wait 120 s)' });
    expect(tries).toBe(1);
  });

  it('stops at once when cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    let tries = 0;
    const end = await retryTransient(policy, Math.random, abort.signal, async () => {
      tries++;
      return transient();
    });
    expect(end).toEqual({ kind: 'cancelled' });
    expect(tries).toBe(0);
  });
});
