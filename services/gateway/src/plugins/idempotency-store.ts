import type { Database } from '@flywheel/core';
import { type Kysely, sql } from 'kysely';

/** How long a first answer is kept; clients may retry for at least this long. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A pending key older than this belongs to a request that died; a retry may take it over. */
const STALE_PENDING_MS = 60 * 1000;

/** What a key holds when this request could not claim it. */
export type ExistingKey =
  | { readonly state: 'pending'; readonly requestHash: string }
  | {
      readonly state: 'completed';
      readonly requestHash: string;
      readonly status: number;
      readonly body: string | null;
    };

/** The `idempotency_keys` table: claim a key, record its answer, release it, forget old ones. */
export interface IdempotencyStore {
  /** Claims the key for this request (true), or reports what holds it (null: it vanished meanwhile). */
  claim(workspace: string, keyHash: string, requestHash: string): Promise<true | ExistingKey | null>;
  complete(workspace: string, keyHash: string, status: number, body: string | null): Promise<void>;
  /** Frees a key whose request failed in a way a retry may cure. */
  release(workspace: string, keyHash: string): Promise<void>;
  /** Deletes keys past their retention. */
  sweep(): Promise<void>;
}

const interval = (ms: number) => `${ms} milliseconds`;

/**
 * Writes skip waiting for the WAL flush (`synchronous_commit = off`, for this transaction
 * only): a row lost to a PostgreSQL crash means a retry runs the command again under the
 * same key-derived command id, which JetStream dedupes and the command runner recognises
 * as already committed, so nothing is stored twice. The flush wait was most of the cost.
 */
const ASYNC_COMMIT = sql`(select set_config('synchronous_commit', 'off', true)) as async_commit`;

/** Creates the store over the gateway's database. */
export function createIdempotencyStore(db: Kysely<Database>): IdempotencyStore {
  return {
    async claim(workspace, keyHash, requestHash) {
      // The primary key makes the insert the lock: of concurrent duplicates one inserts.
      // An expired key, or the same request abandoned by a dead process, is taken over.
      const claimed = await sql<{ key_hash: string }>`
        insert into idempotency_keys as k (workspace, key_hash, request_hash, status, expires_at)
        select ${workspace}, ${keyHash}, ${requestHash}, 'pending', now() + ${interval(IDEMPOTENCY_TTL_MS)}::interval
        from ${ASYNC_COMMIT}
        on conflict (workspace, key_hash) do update set
          request_hash = excluded.request_hash, status = 'pending', response_status = null,
          response_body = null, created_at = now(), locked_at = now(), expires_at = excluded.expires_at
        where k.expires_at < now()
          or (k.status = 'pending' and k.request_hash = excluded.request_hash
              and k.locked_at < now() - ${interval(STALE_PENDING_MS)}::interval)
        returning key_hash`.execute(db);
      if (claimed.rows.length > 0) return true;
      const row = await db
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'status', 'response_status', 'response_body'])
        .where('workspace', '=', workspace)
        .where('key_hash', '=', keyHash)
        .executeTakeFirst();
      if (!row) return null;
      return row.status === 'pending'
        ? { state: 'pending', requestHash: row.request_hash }
        : {
            state: 'completed',
            requestHash: row.request_hash,
            status: row.response_status ?? 200,
            body: row.response_body,
          };
    },

    async complete(workspace, keyHash, status, body) {
      await sql`
        update idempotency_keys set status = 'completed', response_status = ${status}, response_body = ${body}
        from ${ASYNC_COMMIT}
        where workspace = ${workspace} and key_hash = ${keyHash}`.execute(db);
    },

    async release(workspace, keyHash) {
      await sql`
        delete from idempotency_keys using ${ASYNC_COMMIT}
        where workspace = ${workspace} and key_hash = ${keyHash} and status = 'pending'`.execute(db);
    },

    async sweep() {
      await db.deleteFrom('idempotency_keys').where('expires_at', '<', sql<Date>`now()`).execute();
    },
  };
}
