import { describe, expect, it } from 'vitest';
import { formatAgo, formatDuration, msUntil } from './time';

describe('time formatting', () => {
  it('writes spans the way a countdown reads', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45_900)).toBe('45s');
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
    expect(formatDuration(-5)).toBe('0s');
  });

  it('counts down to a time and past it', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(msUntil('2026-01-01T00:01:00Z', now)).toBe(60_000);
    expect(msUntil('not a time', now)).toBeNull();
    expect(formatAgo('2026-01-01T00:00:00Z', now)).toBe('just now');
    expect(formatAgo('2025-12-31T23:57:00Z', now)).toBe('3m ago');
  });
});
