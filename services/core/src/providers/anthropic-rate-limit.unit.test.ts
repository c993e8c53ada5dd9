import { describe, expect, it } from 'vitest';
import { parseResetTime, parseRetryAfter, rateLimitUntil } from './anthropic-rate-limit';

const NOW = Date.parse('2030-06-01T12:00:00Z');
const bounds = { defaultCooldownMs: 60_000, maxCooldownMs: 3_600_000 };
const headers = (h: Record<string, string>) => new Headers(h);

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('30', NOW)).toBe(NOW + 30_000);
    expect(parseRetryAfter('1.5', NOW)).toBe(NOW + 1_500);
    expect(parseRetryAfter('Sat, 01 Jun 2030 12:02:00 GMT', NOW)).toBe(NOW + 120_000);
  });

  it('ignores garbage, negative and oversized values, and keeps absurd ones a valid date', () => {
    for (const v of ['', 'soon', '-5', '12abc', '1e3', 'x'.repeat(10_000), 'Mon, 99 Foo']) {
      expect(parseRetryAfter(v, NOW)).toBeNull();
    }
    const far = parseRetryAfter('9'.repeat(40), NOW);
    expect(Number.isNaN(new Date(far!).getTime())).toBe(false);
  });
});

describe('parseResetTime', () => {
  it('accepts RFC 3339 only', () => {
    expect(parseResetTime('2030-06-01T12:00:30Z')).toBe(NOW + 30_000);
    expect(parseResetTime('2030-06-01T14:00:30+02:00')).toBe(NOW + 30_000);
    expect(parseResetTime('2030-06-01T12:00:30.250Z')).toBe(NOW + 30_250);
    expect(parseResetTime('June 1st')).toBeNull();
    expect(parseResetTime('1717243230')).toBeNull();
  });
});

describe('rateLimitUntil', () => {
  it('uses only the resets of exhausted limits when the provider says which', () => {
    const out = rateLimitUntil(
      headers({
        'anthropic-ratelimit-requests-remaining': '10',
        'anthropic-ratelimit-requests-reset': '2030-06-01T12:05:00Z',
        'anthropic-ratelimit-input-tokens-remaining': '0',
        'anthropic-ratelimit-input-tokens-reset': '2030-06-01T12:00:20Z',
      }),
      NOW,
      bounds,
      'limited',
    );
    expect(out).toEqual({
      kind: 'rate_limited',
      until: new Date(NOW + 20_000),
      source: 'ratelimit-reset',
      message: 'limited',
    });
  });

  it('takes the latest of several exhausted limits and retry-after', () => {
    const out = rateLimitUntil(
      headers({
        'retry-after': '10',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': '2030-06-01T12:00:40Z',
        'anthropic-ratelimit-tokens-remaining': '0',
        'anthropic-ratelimit-tokens-reset': '2030-06-01T12:00:25Z',
      }),
      NOW,
      bounds,
      'limited',
    );
    expect(out).toMatchObject({ until: new Date(NOW + 40_000), source: 'ratelimit-reset' });
  });

  it('falls back to the default when every signal is unusable', () => {
    const out = rateLimitUntil(
      headers({ 'retry-after': 'later', 'anthropic-ratelimit-requests-reset': 'tomorrow' }),
      NOW,
      bounds,
      'limited',
    );
    expect(out).toMatchObject({ until: new Date(NOW + 60_000), source: 'default' });
  });
});
