/** Percentile (0..100) of an unsorted sample, nearest-rank. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Runs `fn` for `count` operations and returns operations per second. */
export async function rate(count: number, fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return count / ((performance.now() - started) / 1000);
}

/** Runs `op(i)` for i in [0, count) with at most `concurrency` in flight. */
export async function pool(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export function median(sample: readonly number[]): number {
  return percentile(sample, 50);
}
