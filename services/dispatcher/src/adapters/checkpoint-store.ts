import { CheckpointConflictError, type Database } from '@flywheel/core';
import { type Kysely, sql, type Transaction } from 'kysely';

const CHECKPOINT = 'dispatcher';

/** Where the dispatcher's state has got to in `EVENTS` (0 before the first event). */
export async function readCheckpoint(db: Kysely<Database> | Transaction<Database>): Promise<number> {
  const row = await db
    .selectFrom('dispatch_checkpoint')
    .select('last_seq')
    .where('name', '=', CHECKPOINT)
    .executeTakeFirst();
  return row?.last_seq ?? 0;
}

/**
 * Moves the checkpoint from `from` to `to`, or throws `CheckpointConflictError` when it is no
 * longer at `from`; called in the transaction that applies the events in between.
 */
export async function advanceCheckpoint(trx: Transaction<Database>, from: number, to: number): Promise<void> {
  if (from === 0) {
    await trx
      .insertInto('dispatch_checkpoint')
      .values({ name: CHECKPOINT, last_seq: 0 })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  }
  const result = await trx
    .updateTable('dispatch_checkpoint')
    .set({ last_seq: to, updated_at: sql`now()` })
    .where('name', '=', CHECKPOINT)
    .where('last_seq', '=', from)
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) {
    throw new CheckpointConflictError(`the dispatcher checkpoint is no longer at ${from}`, {
      details: { expected: from },
    });
  }
}
