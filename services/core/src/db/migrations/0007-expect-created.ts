import { type Kysely, sql } from 'kysely';

/**
 * The live projector writes rows a commit creates (a session's first commit) without
 * reading them first, with `insert … on conflict do nothing`, and asserts with this
 * function that every one was inserted. SQLSTATE FW002 when one already existed (a log
 * that breaks its own rules): the projector rolls the batch back and applies it again,
 * reading first, so the message is dead-lettered as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create function fw_expect_created(p_table text, p_inserted bigint, p_expected bigint)
    returns void language plpgsql as $$
    begin
      if p_inserted <> p_expected then
        raise exception '% of % rows new to % already existed', p_expected - p_inserted, p_expected, p_table
          using errcode = 'FW002';
      end if;
    end $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function fw_expect_created(text, bigint, bigint)`.execute(db);
}
