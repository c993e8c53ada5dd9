import { CHECKPOINT_CHANNEL, type ProjectionName, projectionLockName } from '@flywheel/core';
import type pg from 'pg';

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

/**
 * Moves the checkpoint from `expected` to `next` inside the caller's transaction, and
 * queues the notification readers wait for (delivered on commit): one round trip.
 * False when another writer (a second projector, a replay swap) moved it first: the
 * caller must roll back and re-read, so no event is applied twice or skipped.
 */
export async function advanceCheckpoint(
  client: pg.ClientBase,
  name: ProjectionName,
  expected: number,
  next: number,
): Promise<boolean> {
  const { rowCount } = await client.query({
    name: 'fw-advance-checkpoint',
    text: `update projection_checkpoints set last_seq = $3, updated_at = now()
            where name = $1 and last_seq = $2 returning pg_notify($4, $5)`,
    values: [name, expected, next, CHECKPOINT_CHANNEL, `${name}:${next}`],
  });
  return rowCount === 1;
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
 * Begins a transaction holding the projection's advisory lock until it ends (replay holds
 * the same lock while it swaps tables). One round trip: the name is one of a fixed set.
 * The commit does not wait for the WAL flush: a batch lost to a Postgres crash took its
 * checkpoint with it, and the runner notices the checkpoint behind what it acked (at
 * start-up, or when its next compare-and-set fails) and reads those messages again.
 */
export async function beginLocked(client: pg.ClientBase, name: ProjectionName): Promise<void> {
  const lock = projectionLockName(name).replaceAll("'", "''");
  await client.query(
    `begin; set local synchronous_commit = off; select pg_advisory_xact_lock(hashtextextended('${lock}', 0))`,
  );
}

/** Tells waiting readers (read-your-writes) the checkpoint moved; delivered when the transaction commits. */
export async function notifyCheckpoint(
  client: pg.ClientBase,
  name: ProjectionName,
  seq: number,
): Promise<void> {
  await client.query('select pg_notify($1, $2)', [CHECKPOINT_CHANNEL, `${name}:${seq}`]);
}
