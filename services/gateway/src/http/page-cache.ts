import type { ProjectionName } from '@flywheel/core';

/** Where a page cache learns that a read model may have changed (the checkpoint watcher). */
export interface ChangeSource {
  generation(name: ProjectionName): string | null;
}

/** Pages kept per read model; a page of 50 sessions is about 30 KB. */
const DEFAULT_CAPACITY = 256;

/**
 * Remembers rendered pages of one read model until the model changes. Dashboards poll the
 * same first pages over and over; between two commits of the projection every answer
 * would be the same bytes, so the query runs once per commit instead of once per request.
 * The cache is keyed by the projection's generation, read before the query: a page is
 * only served while no commit (nor replay swap, nor reconnect) has been notified since
 * the query started, and nothing is cached while the gateway is not listening.
 */
export class PageCache {
  private generation: string | null = null;
  private readonly pages = new Map<string, string>();

  constructor(
    private readonly changes: ChangeSource,
    private readonly projection: ProjectionName,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  async get(key: string, render: () => Promise<string>): Promise<string> {
    const generation = this.changes.generation(this.projection);
    if (generation === null) return render();
    if (generation !== this.generation) {
      this.pages.clear();
      this.generation = generation;
    }
    const hit = this.pages.get(key);
    if (hit !== undefined) return hit;
    const page = await render();
    // A commit notified while rendering: the page may predate it, keep it out of the cache.
    if (this.changes.generation(this.projection) === generation && this.generation === generation) {
      if (this.pages.size >= this.capacity) this.pages.delete(this.pages.keys().next().value!);
      this.pages.set(key, page);
    }
    return page;
  }
}
