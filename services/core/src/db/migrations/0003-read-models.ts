import { type Kysely, sql } from 'kysely';

/**
 * The read models the projector folds from the streams. Every column is derived from an
 * event (its data, `at` or stream sequence), never from the clock, so a replay rebuilds
 * them byte for byte. List order is the stream sequence of the creating event
 * (`created_seq`): it only grows, so keyset pages never skip or repeat a row inserted
 * while a client pages.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('prompt', 'text', (c) => c.notNull())
    .addColumn('prompt_preview', 'text', (c) => c.notNull())
    .addColumn('requested_account_id', 'text')
    .addColumn('account_id', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('failed_account_ids', 'jsonb', (c) => c.notNull())
    .addColumn('queue_reason', 'text')
    .addColumn('queue_eta', 'timestamptz')
    .addColumn('reason', 'text')
    .addColumn('metadata', 'jsonb', (c) => c.notNull())
    .addColumn('output_chunks', 'integer')
    .addColumn('input_tokens', 'bigint')
    .addColumn('output_tokens', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('queued_at', 'timestamptz', (c) => c.notNull())
    .addColumn('assigned_at', 'timestamptz')
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sessions_pkey', ['workspace', 'id'])
    .execute();
  await db.schema
    .createIndex('sessions_list')
    .on('sessions')
    .columns(['workspace', 'created_seq desc'])
    .execute();
  await db.schema
    .createIndex('sessions_by_status')
    .on('sessions')
    .columns(['workspace', 'status', 'created_seq desc'])
    .execute();
  await db.schema
    .createIndex('sessions_by_provider')
    .on('sessions')
    .columns(['workspace', 'provider', 'created_seq desc'])
    .execute();

  await db.schema
    .createTable('accounts')
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('auth_type', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text')
    .addColumn('max_concurrent', 'integer', (c) => c.notNull())
    .addColumn('token_expires_at', 'timestamptz')
    .addColumn('cooldown_until', 'timestamptz')
    .addColumn('cooldown_source', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_reason', 'text')
    .addColumn('expired_cause', 'text')
    .addColumn('revoked_reason', 'text')
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('accounts_pkey', ['workspace', 'id'])
    .execute();
  await db.schema.createIndex('accounts_list').on('accounts').columns(['workspace', 'created_seq']).execute();
  // Which account each in-flight session runs on; owned by the accounts projection, so
  // "sessions running" is consistent with the accounts checkpoint (counted at query time).
  await db.schema
    .createTable('account_sessions')
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_sessions_pkey', ['workspace', 'session_id'])
    .execute();
  await db.schema
    .createIndex('account_sessions_by_account')
    .on('account_sessions')
    .columns(['workspace', 'account_id'])
    .execute();

  await db.schema
    .createTable('agents')
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('providers', sql`text[]`, (c) => c.notNull())
    .addColumn('max_concurrent', 'integer', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('offline_reason', 'text')
    .addColumn('registered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('agents_pkey', ['workspace', 'id'])
    .execute();
  await db.schema.createIndex('agents_list').on('agents').columns(['workspace', 'created_seq']).execute();
  await db.schema
    .createTable('agent_sessions')
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_sessions_pkey', ['workspace', 'session_id'])
    .execute();
  await db.schema
    .createIndex('agent_sessions_by_agent')
    .on('agent_sessions')
    .columns(['workspace', 'agent_id'])
    .execute();

  await db.schema
    .createTable('session_output')
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('stream_seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('session_output_pkey', ['workspace', 'session_id', 'seq'])
    .execute();

  await db.schema
    .createTable('event_index')
    .addColumn('stream_seq', 'bigint', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('aggregate_type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('causation_id', 'text', (c) => c.notNull())
    .addColumn('correlation_id', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('event_index_pkey', ['stream_seq', 'idx'])
    .execute();
  await db.schema
    .createIndex('event_index_by_aggregate')
    .on('event_index')
    .columns(['workspace', 'aggregate_type', 'aggregate_id', 'stream_seq'])
    .execute();
  await db.schema
    .createIndex('event_index_by_workspace')
    .on('event_index')
    .columns(['workspace', 'stream_seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'event_index',
    'session_output',
    'agent_sessions',
    'agents',
    'account_sessions',
    'accounts',
    'sessions',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
