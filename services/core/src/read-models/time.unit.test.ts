import { describe, expect, it } from 'vitest';
import { isoString } from './time';

describe('isoString', () => {
  it('writes what toISOString writes, across leap years, month ends and before 1970', () => {
    const times = [
      Date.UTC(1000, 0, 1),
      Date.UTC(1899, 11, 31, 23, 59, 59, 999),
      Date.UTC(1900, 1, 28, 12),
      Date.UTC(1969, 11, 31, 23, 59, 59, 999),
      0,
      Date.UTC(2000, 1, 29, 1, 2, 3, 4),
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2100, 2, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    // And a spread of times, one every 7,919,123,457 ms from the year 1000 to 9999.
    for (let t = Date.UTC(1000, 0, 1); t < Date.UTC(9999, 11, 31); t += 7_919_123_457) times.push(t);
    for (const t of times) expect(isoString(new Date(t))).toBe(new Date(t).toISOString());
  });

  it('leaves years outside 1000..9999 and invalid dates to the built-in', () => {
    for (const t of [Date.UTC(999, 11, 31, 23), Date.UTC(-1, 0, 1), Date.UTC(10_000, 0, 1)]) {
      expect(isoString(new Date(t))).toBe(new Date(t).toISOString());
    }
    expect(() => isoString(new Date(Number.NaN))).toThrow(RangeError);
  });
});
