import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamp the database fills in by default (`Generated<Timestamp>` would select as a ColumnType). */
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

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

/** The dispatcher's position in `EVENTS`; moved in the same transaction as its state (compare-and-set). */
export interface DispatchCheckpointTable {
  name: string;
  last_seq: number;
  updated_at: Generated<Timestamp>;
}

/** A session the dispatcher still owes something: Queued, Starting or Running. Terminal ones are deleted. */
export interface DispatchSessionTable {
  session_id: string;
  workspace: string;
  provider: string;
  model: string | null;
  prompt: string;
  requested_account_id: string | null;
  status: string;
  attempt: Generated<number>;
  account_id: string | null;
  agent_id: string | null;
  failed_account_id: string | null;
  waiting_reason: string | null;
  waiting_eta: Timestamp | null;
  start_timeouts: Generated<number>;
  /** Stream sequence of its SessionRequested: the queue order, kept across failovers. */
  queued_seq: number;
  /** Stream sequence of the last change applied, so a late event never undoes a newer one. */
  version: number;
}

/** An account as the dispatcher sees it: can it take work, and how recently did it. */
export interface DispatchAccountTable {
  account_id: string;
  workspace: string;
  provider: string;
  auth_type: string;
  /** Where verification calls go (a proxy or emulator); null for the provider's own endpoint. */
  base_url: string | null;
  status: string;
  cooldown_until: Timestamp | null;
  error_reason: string | null;
  max_concurrent: number;
  last_used_at: Timestamp | null;
  version: number;
}

/** An agent worker and when it was last heard from. */
export interface DispatchAgentTable {
  agent_id: string;
  workspace: string;
  status: string;
  providers: string[];
  capacity: number;
  last_heartbeat_at: Timestamp;
}

/** A durable timer: fired at `due_at` by whichever dispatcher claims it first. */
export interface DispatchTimerTable {
  kind: string;
  key: string;
  workspace: string;
  due_at: Timestamp;
  payload: Generated<unknown>;
  /** Set while a dispatcher runs the timer; a change by the consumer clears it. */
  lease_id: string | null;
}

/** The first answer to an `Idempotency-Key`, per workspace; `pending` while the first request runs. */
export interface IdempotencyKeyTable {
  workspace: string;
  key_hash: string;
  request_hash: string;
  status: 'pending' | 'completed';
  response_status: number | null;
  response_body: string | null;
  created_at: DefaultedTimestamp;
  locked_at: DefaultedTimestamp;
  expires_at: Timestamp;
}

/** The vault: a secret sealed under its own data key, the data key sealed by the master key (null once shredded). */
export interface AccountCredentialTable {
  account_id: string;
  workspace: string;
  secret_sealed: Buffer;
  data_key_sealed: Buffer | null;
  master_key_id: string;
  created_at: DefaultedTimestamp;
  destroyed_at: Timestamp | null;
}

export interface Database {
  projection_checkpoints: ProjectionCheckpointTable;
  dead_letters: DeadLetterTable;
  idempotency_keys: IdempotencyKeyTable;
  account_credentials: AccountCredentialTable;
  dispatch_checkpoint: DispatchCheckpointTable;
  dispatch_sessions: DispatchSessionTable;
  dispatch_accounts: DispatchAccountTable;
  dispatch_agents: DispatchAgentTable;
  dispatch_timers: DispatchTimerTable;
}
