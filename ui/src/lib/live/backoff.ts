/** First wait before a reconnect; each failed attempt doubles it up to the maximum. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 10_000;

/**
 * How long to wait before reconnect attempt `attempt` (0-based): exponential, capped, with
 * jitter between half and all of it so dozens of dashboards do not reconnect in lockstep
 * after a gateway restart.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling * (0.5 + random() / 2));
}
