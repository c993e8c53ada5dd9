import type { ProjectionName } from '@flywheel/core';
import type { Projection, Row, RowChange, RowKey, RowView, TableSpec } from '../projections/projection';
import { type Decoded, deadLetterPayload } from './decode';

/** A message that could not be projected, as stored in `dead_letters`. */
export interface DeadLetter {
  readonly projection: ProjectionName;
  readonly streamSeq: number;
  readonly eventType: string;
  readonly error: string;
  readonly payload: unknown;
}

/** The latest state of one row a batch changed: the row, or null when it was deleted. */
export interface StateEntry {
  readonly key: RowKey;
  readonly row: Row | null;
}

/** What a batch does to the tables: final state of each changed key, appended rows, dead letters. */
export interface FoldResult {
  readonly state: ReadonlyMap<string, ReadonlyMap<string, StateEntry>>;
  readonly appends: ReadonlyMap<string, readonly Row[]>;
  readonly deadLetters: readonly DeadLetter[];
}

/** Joins a key into one map key; NUL never occurs in a stored key (the row check refuses it). */
export const keyString = (key: RowKey): string => key.join('\u0000');

export function rowKey(spec: TableSpec, row: Row): RowKey {
  return spec.key.map((c) => String(row[c]));
}

/**
 * Compiles `keyString(rowKey(spec, row))` for one table, without the array: replay keys
 * every row it folds. Column names are embedded as JSON string literals.
 */
export function rowKeyString(spec: TableSpec): (row: Row) => string {
  const parts = spec.key.map((c) => `String(row[${JSON.stringify(c)}])`).join(" + '\\u0000' + ");
  return new Function('row', `return ${parts};`) as (row: Row) => string;
}

/** The row as written: with its derived column (`TableSpec.derived`) computed from it. */
export function finalRow(spec: TableSpec, row: Row): Row {
  return spec.derived === undefined ? row : { ...row, [spec.derived.column]: spec.derived.compute(row) };
}

/** Each table's derived column, for the row check to skip. */
export function derivedColumns(projection: Projection<unknown>): Map<string, string> {
  return new Map(projection.tables.flatMap((t) => (t.derived ? [[t.name, t.derived.column] as const] : [])));
}

/** The key `keyString` joined, split again; exact because a stored key never contains NUL (the row check refuses it). */
export const splitKey = (key: string): RowKey => key.split('\u0000');

function failedType(d: Decoded<unknown>): string {
  if ('message' in d) {
    const events = (d.message as { events?: readonly { type: string }[] }).events;
    return events?.[0]?.type ?? 'OutputChunk';
  }
  return '(undecodable)';
}

/** A dead letter for message `d` of `projection`, which failed with `err`. */
function deadLetterOf<M>(projection: Projection<M>, d: Decoded<M>, err: unknown): DeadLetter {
  return {
    projection: projection.name,
    streamSeq: d.seq,
    eventType: failedType(d as Decoded<unknown>),
    error: (err as Error).message.replaceAll('\u0000', ''),
    payload: deadLetterPayload(d.raw),
  };
}

/**
 * Applies one decoded message to `rows`: its row changes, each checked with `check`, or
 * the dead letter it becomes when it cannot be decoded, applied or stored (then none of
 * its changes count). `specs` is the projection's tables by name.
 */
export function projectMessage<M>(
  projection: Projection<M>,
  specs: ReadonlyMap<string, TableSpec>,
  d: Decoded<M>,
  rows: RowView,
  check: (table: string, row: Row) => void,
): readonly RowChange[] | DeadLetter {
  try {
    if ('error' in d) throw d.error;
    const changes = projection.apply(d.message, rows);
    for (const c of changes) {
      const spec = specs.get(c.table);
      if (spec === undefined)
        throw new Error(`${projection.name} wrote to ${c.table}, which it does not own`);
      if ((c.op === 'insert') !== (spec.mode === 'append')) {
        throw new Error(`${projection.name}: ${c.op} on ${spec.mode} table ${c.table}`);
      }
      if (c.op !== 'delete') check(c.table, c.row);
    }
    return changes;
  } catch (err) {
    return deadLetterOf(projection, d, err);
  }
}

/** Whether `projectMessage` gave a dead letter rather than row changes. */
export const isDeadLetter = (r: readonly RowChange[] | DeadLetter): r is DeadLetter => !Array.isArray(r);

/** The tables of `projection` by name. */
export function tableSpecs(projection: Projection<unknown>): Map<string, TableSpec> {
  return new Map(projection.tables.map((t) => [t.name, t]));
}

/**
 * Applies a batch of decoded messages to `base` (the rows as they stand) in stream order.
 * Each message's changes are checked with `check` and kept only if the whole message
 * applies: a message that throws becomes a dead letter and leaves no trace.
 */
export function foldBatch<M>(
  projection: Projection<M>,
  batch: readonly Decoded<M>[],
  base: RowView,
  check: (table: string, row: Row) => void,
): FoldResult {
  const specs = tableSpecs(projection as Projection<unknown>);
  const state = new Map<string, Map<string, StateEntry>>();
  const appends = new Map<string, Row[]>();
  const appended = new Map<string, Set<string>>();
  const deadLetters: DeadLetter[] = [];
  for (const t of projection.tables) {
    if (t.mode === 'state') state.set(t.name, new Map());
    else {
      appends.set(t.name, []);
      appended.set(t.name, new Set());
    }
  }
  const view: RowView = {
    get(table, key) {
      const entry = state.get(table)?.get(keyString(key));
      if (entry !== undefined) return entry.row ?? undefined;
      return base.get(table, key);
    },
  };

  for (const d of batch) {
    const changes = projectMessage(projection, specs, d, view, check);
    if (isDeadLetter(changes)) {
      deadLetters.push(changes);
      continue;
    }
    for (const c of changes) {
      const spec = specs.get(c.table)!;
      if (c.op === 'insert') {
        const k = keyString(rowKey(spec, c.row));
        const seen = appended.get(c.table)!;
        if (seen.has(k)) continue;
        seen.add(k);
        appends.get(c.table)!.push(c.row);
      } else {
        const key = c.op === 'put' ? rowKey(spec, c.row) : c.key;
        state.get(c.table)!.set(keyString(key), { key, row: c.op === 'put' ? c.row : null });
      }
    }
  }
  return { state, appends, deadLetters };
}

/** What a batch must read before it is folded, and the rows it creates unread (by `keyString`). */
export interface BatchReads {
  readonly read: Map<string, RowKey[]>;
  readonly created: Map<string, Set<string>>;
}

/**
 * The keys each state table must be read for before `batch` can be folded. With
 * `assumeCreated`, a key a message creates (`Projection.creates`) is not read unless an
 * earlier message of the batch asked for it; it is listed in `created` instead.
 */
export function batchReads<M>(
  projection: Projection<M>,
  batch: readonly Decoded<M>[],
  assumeCreated: boolean,
): BatchReads {
  const read = new Map<string, Map<string, RowKey>>();
  const created = new Map<string, Set<string>>();
  const known = (table: string, k: string) => read.get(table)?.has(k) || created.get(table)?.has(k);
  for (const d of batch) {
    if (!('message' in d)) continue;
    let reads: ReturnType<Projection<M>['reads']>;
    let creates: ReturnType<Projection<M>['reads']>;
    try {
      reads = projection.reads(d.message);
      creates = assumeCreated ? (projection.creates?.(d.message) ?? []) : [];
    } catch {
      // `apply` meets the same problem and dead-letters the message.
      continue;
    }
    for (const [table, key] of creates) {
      const k = keyString(key);
      if (known(table, k)) continue;
      const keys = created.get(table) ?? new Set<string>();
      created.set(table, keys);
      keys.add(k);
    }
    for (const [table, key] of reads) {
      const k = keyString(key);
      if (known(table, k)) continue;
      const keys = read.get(table) ?? new Map<string, RowKey>();
      read.set(table, keys);
      keys.set(k, key);
    }
  }
  return { read: new Map([...read].map(([t, keys]) => [t, [...keys.values()]])), created };
}
