/**
 * Counts the sessions an agent runs against its capacity. A pull loop reserves every free
 * slot before it asks JetStream for that many work items, so the pull requests outstanding
 * never exceed what the agent can start: a work item it cannot run stays with other agents.
 */
export class WorkSlots {
  private running = 0;
  private reserved = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.running;
  }

  /** Waits until at least one slot is free, then reserves all free slots and returns how many. */
  async reserveFree(): Promise<number> {
    while (this.running + this.reserved >= this.capacity) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const n = this.capacity - this.running - this.reserved;
    this.reserved += n;
    return n;
  }

  /** Turns one reservation into a running session. */
  take(): void {
    this.reserved--;
    this.running++;
  }

  /** Gives back reservations a pull did not fill. */
  unreserve(n: number): void {
    this.reserved -= n;
    this.wake();
  }

  /** A session ended; its slot is free. */
  release(): void {
    this.running--;
    this.wake();
  }

  /** Resolves once no session runs. */
  async idle(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
