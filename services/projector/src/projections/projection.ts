import type { ProjectionName, StoredEvent } from '@flywheel/core';
import type { OutputChunk } from '@flywheel/schemas';

/** A row as the projections build it: column name to value (Date for timestamps). */
export type Row = Readonly<Record<string, unknown>>;

/** The primary key of a row, as text, in the order of its table's key columns. */
export type RowKey = readonly string[];

/**
 * How a table is written. `state`: one row per key, replaced or deleted as events arrive.
 * `append`: rows are only ever added; a repeated key keeps the first row.
 */
export type TableMode = 'state' | 'append';

export interface TableSpec {
  readonly name: string;
  readonly key: readonly string[];
  readonly mode: TableMode;
  /** Append tables only: true when the key contains the stream sequence, so it can never repeat. */
  readonly keyIsUnique?: boolean;
  /**
   * State tables only: a column computed from a row's final state when the row is written
   * (the session list item), rather than by `apply` for every message that changes the row.
   * `apply` leaves it out and the row check skips it; `compute` must give what the column takes.
   */
  readonly derived?: { readonly column: string; readonly compute: (row: Row) => unknown };
}

/** What applying one message does to one row. */
export type RowChange =
  | { readonly op: 'put'; readonly table: string; readonly row: Row }
  | { readonly op: 'delete'; readonly table: string; readonly key: RowKey }
  | { readonly op: 'insert'; readonly table: string; readonly row: Row };

/** The rows a projection asked for, as they stand before the message is applied. */
export interface RowView {
  get(table: string, key: RowKey): Row | undefined;
}

/** One commit from `EVENTS`: the events one command decided, upcast to their current versions. */
export interface CommitMessage {
  readonly seq: number;
  readonly events: readonly StoredEvent[];
}

/** One chunk from `OUTPUT`, with the workspace and session its subject names. */
export interface OutputMessage {
  readonly seq: number;
  readonly workspace: string;
  readonly sessionId: string;
  readonly chunk: OutputChunk;
}

/**
 * A read model as pure functions: which rows a message needs (`reads`), and what it
 * changes given those rows (`apply`). No I/O: the shell loads, folds and writes.
 * `apply` throws `ProjectionError` (from core) for a message it cannot project (dead-lettered).
 */
export interface Projection<M> {
  readonly name: ProjectionName;
  readonly tables: readonly TableSpec[];
  reads(message: M): readonly (readonly [table: string, key: RowKey])[];
  /**
   * Of the rows `reads` names, those the message creates and which the log's own rules say
   * cannot exist yet (a session's first commit: appended at version 0). The live projector
   * does not read them; it inserts them only if absent and, should one exist after all,
   * applies the batch again reading first, so `apply` still sees and refuses it.
   */
  creates?(message: M): readonly (readonly [table: string, key: RowKey])[];
  apply(message: M, rows: RowView): readonly RowChange[];
}
