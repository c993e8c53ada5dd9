import { describe, expect, it } from 'vitest';
import { FifoCache } from './fifo-cache';

describe('FifoCache', () => {
  it('keeps the newest keys up to its capacity, evicting the oldest inserted first', () => {
    const c = new FifoCache<number, string>(3);
    for (const k of [1, 2, 3]) c.set(k, `v${k}`);
    c.set(1, 'again'); // an update keeps the key's place
    c.set(4, 'v4');
    expect([c.has(1), c.has(2), c.has(3), c.has(4)]).toEqual([false, true, true, true]);
    expect(c.get(4)).toBe('v4');
    expect(c.size).toBe(3);
  });

  it('never holds more than its capacity, whatever is deleted and set again', () => {
    const c = new FifoCache<number, number>(5);
    for (let i = 0; i < 1000; i++) {
      c.set(i % 13, i);
      if (i % 3 === 0) c.delete((i * 7) % 13);
      expect(c.size).toBeLessThanOrEqual(5);
    }
    c.set(100, 1);
    expect(c.get(100)).toBe(1);
  });

  it('refuses a capacity below one', () => {
    expect(() => new FifoCache(0)).toThrow(RangeError);
  });
});
