/**
 * A topic's position in its stream, so that a resume neither skips nor repeats.
 *
 * Cursors are stream sequences; the events of one commit share a cursor. A resume asks for
 * everything from the last cursor itself (`after` = cursor - 1): if the socket dropped in
 * the middle of a commit, the rest of it comes again, and the events already seen are
 * recognised by id and dropped.
 */
export class CursorTracker {
  #cursor: number | undefined;
  #idsAtCursor = new Set<string>();

  /** True for an item not seen before; false for a repeat a resume delivered again. */
  accept(cursor: number, id: string): boolean {
    if (this.#cursor !== undefined) {
      if (cursor < this.#cursor) return false;
      if (cursor === this.#cursor) {
        if (this.#idsAtCursor.has(id)) return false;
        this.#idsAtCursor.add(id);
        return true;
      }
    }
    this.#cursor = cursor;
    this.#idsAtCursor = new Set([id]);
    return true;
  }

  /** The `after` to resubscribe with, or undefined when nothing was received yet. */
  resumeAfter(): number | undefined {
    return this.#cursor === undefined ? undefined : this.#cursor - 1;
  }

  /** The last cursor received, if any. */
  get cursor(): number | undefined {
    return this.#cursor;
  }
}
