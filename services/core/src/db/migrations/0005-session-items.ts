import { type Kysely, sql } from 'kysely';

const iso = (column: string) =>
  sql`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Each session row carries its list item as JSON text, written by the projector with the
 * row: the session list, the busiest query, reads stored strings instead of building 50
 * JSON objects and formatting 300 timestamps per page. Rows already projected get theirs
 * here, built with the same fields (a `make replay` rewrites them all the projector's way).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('item', 'text').execute();
  await sql`update sessions set item = json_build_object(
      'id', id, 'status', status, 'provider', provider, 'model', model,
      'promptPreview', prompt_preview, 'accountId', account_id, 'agentId', agent_id,
      'attempts', attempts, 'maxAttempts', max_attempts, 'queueReason', queue_reason,
      'eta', ${iso('queue_eta')}, 'reason', reason, 'metadata', metadata,
      'createdAt', ${iso('created_at')}, 'queuedAt', ${iso('queued_at')},
      'assignedAt', ${iso('assigned_at')}, 'startedAt', ${iso('started_at')},
      'finishedAt', ${iso('finished_at')}, 'updatedAt', ${iso('updated_at')},
      'streamSeq', last_seq)::text`.execute(db);
  await db.schema
    .alterTable('sessions')
    .alterColumn('item', (c) => c.setNotNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('item').execute();
}
