import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** Where a projection has got to in the `EVENTS` stream; updated in the same transaction as its rows. */
export interface ProjectionCheckpointTable {
  name: string;
  last_seq: number;
  updated_at: Generated<Timestamp>;
}

/** Events a projection could not apply after its retries; kept for operators to inspect. */
export interface DeadLetterTable {
  id: Generated<number>;
  projection: string;
  stream_seq: number;
  event_type: string;
  error: string;
  payload: unknown;
  created_at: Generated<Timestamp>;
}

/** The first answer to an `Idempotency-Key`, per workspace; `pending` while the first request runs. */
export interface IdempotencyKeyTable {
  workspace: string;
  key_hash: string;
  request_hash: string;
  status: 'pending' | 'completed';
  response_status: number | null;
  response_body: string | null;
  created_at: Generated<Timestamp>;
  locked_at: Generated<Timestamp>;
  expires_at: Timestamp;
}

/** The vault: a secret sealed under its own data key, the data key sealed by the master key (null once shredded). */
export interface AccountCredentialTable {
  account_id: string;
  workspace: string;
  secret_sealed: Buffer;
  data_key_sealed: Buffer | null;
  master_key_id: string;
  created_at: Generated<Timestamp>;
  destroyed_at: Timestamp | null;
}

export interface Database {
  projection_checkpoints: ProjectionCheckpointTable;
  dead_letters: DeadLetterTable;
  idempotency_keys: IdempotencyKeyTable;
  account_credentials: AccountCredentialTable;
}
