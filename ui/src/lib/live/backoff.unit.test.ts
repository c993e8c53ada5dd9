import { describe, expect, it } from 'vitest';
import { RECONNECT_BASE_MS, RECONNECT_MAX_MS, reconnectDelay } from './backoff';

describe('reconnectDelay', () => {
  it('doubles per failed attempt up to the maximum', () => {
    const top = () => 1;
    expect(reconnectDelay(0, top)).toBe(RECONNECT_BASE_MS);
    expect(reconnectDelay(1, top)).toBe(RECONNECT_BASE_MS * 2);
    expect(reconnectDelay(3, top)).toBe(RECONNECT_BASE_MS * 8);
    expect(reconnectDelay(50, top)).toBe(RECONNECT_MAX_MS);
  });

  it('spreads clients over the upper half of the wait', () => {
    expect(reconnectDelay(2, () => 0)).toBe(RECONNECT_BASE_MS * 2);
    expect(reconnectDelay(2, () => 0.5)).toBe(RECONNECT_BASE_MS * 3);
  });
});
