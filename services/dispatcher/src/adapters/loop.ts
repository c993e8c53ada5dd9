import type { Logger } from '@flywheel/core';

/** A background loop that runs its body again when nudged or when its wait is over. */
export interface Loop {
  /** Run again as soon as the current run ends (runs never overlap). */
  nudge(): void;
  stop(): Promise<void>;
}

/**
 * Runs `body` forever, one run at a time. The body returns how long to wait before the next
 * run (at most `idleMs`, also the wait after an error); a nudge cuts the wait short, and a
 * nudge during a run makes the next one start right after it.
 */
export function startLoop(
  name: string,
  logger: Logger,
  idleMs: number,
  body: (signal: AbortSignal) => Promise<number | undefined>,
): Loop {
  const abort = new AbortController();
  let nudged = false;
  let wakeUp: () => void = () => undefined;
  const running = (async () => {
    while (!abort.signal.aborted) {
      nudged = false;
      let wait = idleMs;
      try {
        wait = Math.min(idleMs, (await body(abort.signal)) ?? idleMs);
      } catch (err) {
        logger.warn({ err }, `${name} failed: ${(err as Error).message}; trying again`);
      }
      if (nudged || abort.signal.aborted || wait <= 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, wait);
        function done() {
          clearTimeout(timer);
          wakeUp = () => undefined;
          resolve();
        }
        wakeUp = done;
      });
    }
  })();
  return {
    nudge() {
      nudged = true;
      wakeUp();
    },
    async stop() {
      abort.abort();
      wakeUp();
      await running;
    },
  };
}
