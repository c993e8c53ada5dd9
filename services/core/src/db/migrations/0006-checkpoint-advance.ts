import { type Kysely, sql } from 'kysely';

/**
 * The live projector's checkpoint compare-and-set as a function that raises instead of
 * matching no row, so that a batch (lock, compare-and-set, writes, commit) travels as one
 * multi-statement query: when another writer moved the checkpoint (a replay swap, a second
 * projector), Postgres skips the batch's writes. SQLSTATE FW001 tells the projector so.
 * The notification readers wait for (read-your-writes) is delivered when the batch commits.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create function fw_advance_checkpoint(p_name text, p_expected bigint, p_next bigint, p_channel text)
    returns void language plpgsql as $$
    begin
      update projection_checkpoints set last_seq = p_next, updated_at = now()
       where name = p_name and last_seq = p_expected;
      if not found then
        raise exception 'the checkpoint of % is no longer at %', p_name, p_expected using errcode = 'FW001';
      end if;
      perform pg_notify(p_channel, p_name || ':' || p_next);
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function fw_advance_checkpoint(text, bigint, bigint, text)`.execute(db);
}
