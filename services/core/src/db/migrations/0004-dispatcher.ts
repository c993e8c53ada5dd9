import { type Kysely, sql } from 'kysely';

/**
 * The dispatcher's own state, folded from `EVENTS` by its durable consumer: what is queued
 * or in flight, which accounts and agents can take work, and the timers it must fire. All
 * of it lives here so that a restarted or second dispatcher picks up where the last left off.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('dispatch_checkpoint')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('dispatch_sessions')
    .addColumn('session_id', 'text', (c) => c.primaryKey())
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('prompt', 'text', (c) => c.notNull())
    .addColumn('requested_account_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('account_id', 'text')
    .addColumn('agent_id', 'text')
    .addColumn('failed_account_id', 'text')
    .addColumn('waiting_reason', 'text')
    .addColumn('waiting_eta', 'timestamptz')
    .addColumn('queued_seq', 'bigint', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('dispatch_sessions_queue')
    .on('dispatch_sessions')
    .columns(['workspace', 'provider', 'queued_seq'])
    .where(sql.ref('status'), '=', 'Queued')
    .execute();
  await db.schema
    .createIndex('dispatch_sessions_account')
    .on('dispatch_sessions')
    .column('account_id')
    .execute();
  await db.schema.createIndex('dispatch_sessions_agent').on('dispatch_sessions').column('agent_id').execute();

  await db.schema
    .createTable('dispatch_accounts')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('auth_type', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('cooldown_until', 'timestamptz')
    .addColumn('error_reason', 'text')
    .addColumn('max_concurrent', 'integer', (c) => c.notNull())
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('version', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('dispatch_accounts_pool')
    .on('dispatch_accounts')
    .columns(['workspace', 'provider'])
    .execute();

  await db.schema
    .createTable('dispatch_agents')
    .addColumn('agent_id', 'text', (c) => c.primaryKey())
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('providers', sql`text[]`, (c) => c.notNull())
    .addColumn('capacity', 'integer', (c) => c.notNull())
    .addColumn('last_heartbeat_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('dispatch_timers')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('workspace', 'text', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('lease_id', 'text')
    .addPrimaryKeyConstraint('dispatch_timers_pk', ['kind', 'key'])
    .execute();
  await db.schema.createIndex('dispatch_timers_due').on('dispatch_timers').column('due_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'dispatch_timers',
    'dispatch_agents',
    'dispatch_accounts',
    'dispatch_sessions',
    'dispatch_checkpoint',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
