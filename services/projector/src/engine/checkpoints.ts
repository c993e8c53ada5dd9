import { CHECKPOINT_CHANNEL, type ProjectionName, projectionLockName } from '@flywheel/core';
import type pg from 'pg';
import { quote } from './sql';

/** Creates the projection's checkpoint row at 0 if it has none; returns where it stands. */
export async function readCheckpoint(client: pg.ClientBase, name: ProjectionName): Promise<number> {
  await client.query(
    'insert into projection_checkpoints (name, last_seq) values ($1, 0) on conflict (name) do nothing',
    [name],
  );
  const { rows } = await client.query<{ last_seq: number }>(
    'select last_seq from projection_checkpoints where name = $1',
    [name],
  );
  return rows[0]!.last_seq;
}

/** Sets the checkpoint outright (replay, after swapping in tables built to `seq`). */
export async function setCheckpoint(client: pg.ClientBase, name: ProjectionName, seq: number): Promise<void> {
  await client.query(
    `insert into projection_checkpoints (name, last_seq) values ($1, $2)
     on conflict (name) do update set last_seq = excluded.last_seq, updated_at = now()`,
    [name, seq],
  );
}

/**
 * Opens a batch: a transaction that does not wait for the WAL flush, the projection's
 * advisory lock (replay holds it while it swaps tables), and the checkpoint moved from
 * `expected` to `next` (migration 0006), which fails the batch with FW001 when another
 * writer moved it first. A batch lost to a Postgres crash took its checkpoint with it; the
 * runner notices the checkpoint behind what it acked and reads those messages again.
 */
export function openBatch(name: ProjectionName, expected: number, next: number): string {
  return [
    'begin',
    'set local synchronous_commit = off',
    `select pg_advisory_xact_lock(hashtextextended(${quote(projectionLockName(name))}, 0))`,
    `select fw_advance_checkpoint(${quote(name)}, ${expected}, ${next}, ${quote(CHECKPOINT_CHANNEL)})`,
  ].join(';\n');
}

/** SQLSTATE of `fw_advance_checkpoint` when the checkpoint was not where the batch expected it. */
export const CHECKPOINT_MOVED = 'FW001';

/** Tells waiting readers (read-your-writes) the checkpoint moved; delivered when the transaction commits. */
export async function notifyCheckpoint(
  client: pg.ClientBase,
  name: ProjectionName,
  seq: number,
): Promise<void> {
  await client.query('select pg_notify($1, $2)', [CHECKPOINT_CHANNEL, `${name}:${seq}`]);
}
