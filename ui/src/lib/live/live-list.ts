import type { LiveEvent } from './live-event';

const MAX_PENDING = 10_000;

/** A row of a live list: its aggregate id and the stream sequence its values reflect. */
export interface Keyed {
  readonly id: string;
  readonly streamSeq: number;
}

/** How events change one kind of row, and which rows one view shows. */
export interface LiveListRules<T extends Keyed> {
  /** Folds an event into a row; from null, only the event that creates an aggregate gives a row. */
  readonly reduce: (row: T | null, event: LiveEvent) => T | null;
  /** Whether a new row matches this view's filters. */
  readonly accepts: (row: T) => boolean;
  /** The newest page shows aggregates created from now on; older pages only update their rows. */
  readonly showsNew: boolean;
  /** An event for a row this view does not hold that may bring it into the view (a status filter). */
  readonly mayEnter: (event: LiveEvent) => boolean;
}

/** What a page renders. */
export interface LiveListView<T> {
  readonly rows: readonly T[];
  readonly loaded: boolean;
  /** Events showed that a fresh load would hold rows this view lacks; the store reloads. */
  readonly stale: boolean;
}

/**
 * A snapshot from the query API kept current by live events. Events that arrive while a
 * snapshot loads wait for it; each row takes only events newer than the snapshot's
 * sequence for it, so an event the snapshot already reflects is never applied twice.
 */
export class LiveList<T extends Keyed> {
  readonly #rules: LiveListRules<T>;
  #rows: T[] = [];
  /** Per row, the sequence the snapshot reflected; events at or below it are in the row already. */
  #base = new Map<string, number>();
  #pending: LiveEvent[] | null = [];
  #stale = false;

  constructor(rules: LiveListRules<T>) {
    this.#rules = rules;
  }

  /** A new snapshot is on its way: hold events until it arrives. */
  reset(): void {
    this.#pending ??= [];
  }

  /** Takes a snapshot, then applies what arrived while it loaded. */
  load(rows: readonly T[]): void {
    this.#rows = [...rows];
    this.#base = new Map(rows.map((r) => [r.id, r.streamSeq]));
    this.#stale = false;
    const pending = this.#pending ?? [];
    this.#pending = null;
    for (const event of pending) this.#apply(event);
  }

  /** Applies one live event, or holds it while a snapshot loads. */
  apply(event: LiveEvent): void {
    if (!this.#pending) {
      this.#apply(event);
      return;
    }
    this.#pending.push(event);
    // Held events only bridge the moments a snapshot takes to load; the oldest of a long
    // wait (a failing load) are in any later snapshot, so they can go.
    if (this.#pending.length > MAX_PENDING) this.#pending.shift();
  }

  view(): LiveListView<T> {
    return { rows: this.#rows, loaded: this.#pending === null, stale: this.#stale };
  }

  #apply(event: LiveEvent): void {
    const id = event.aggregate.id;
    const at = this.#rows.findIndex((r) => r.id === id);
    if (at >= 0) {
      if (event.seq <= (this.#base.get(id) ?? 0)) return;
      const next = this.#rules.reduce(this.#rows[at]!, event);
      if (next) this.#rows = this.#rows.with(at, next);
      return;
    }
    const created = this.#rules.reduce(null, event);
    if (created) {
      if (this.#rules.showsNew && this.#rules.accepts(created)) this.#rows = [created, ...this.#rows];
    } else if (this.#rules.mayEnter(event)) {
      this.#stale = true;
    }
  }
}
