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

/** Read model: one row per session, folded by the `sessions` projection. Fields that do not apply to the status are null. */
export interface SessionsTable {
  workspace: string;
  id: string;
  status: string;
  provider: string;
  model: string | null;
  prompt: string;
  /** The first characters of the prompt, for lists. */
  prompt_preview: string;
  requested_account_id: string | null;
  account_id: string | null;
  agent_id: string | null;
  attempts: number;
  max_attempts: number;
  failed_account_ids: string[];
  queue_reason: string | null;
  queue_eta: Timestamp | null;
  /** Why it failed or was cancelled. */
  reason: string | null;
  metadata: Record<string, string>;
  output_chunks: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  created_at: Timestamp;
  queued_at: Timestamp;
  assigned_at: Timestamp | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: Timestamp;
  /** Stream sequence of its SessionRequested: the list order and pagination key. */
  created_seq: number;
  last_seq: number;
  /** The row as a list item (`SessionSummary` JSON), written with the row by the projector. */
  item: string;
}

/** Read model: one row per account; never a secret, only its fingerprint. */
export interface AccountsTable {
  workspace: string;
  id: string;
  status: string;
  provider: string;
  label: string;
  auth_type: string;
  fingerprint: string;
  base_url: string | null;
  max_concurrent: number;
  token_expires_at: Timestamp | null;
  /** The running cooldown (Cooldown), or the one that resumes after re-verification (Verifying). */
  cooldown_until: Timestamp | null;
  cooldown_source: string | null;
  error_code: string | null;
  error_reason: string | null;
  expired_cause: string | null;
  revoked_reason: string | null;
  last_used_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  created_seq: number;
  last_seq: number;
}

/** Sessions in flight (Starting or Running) per account, kept by the `accounts` projection. */
export interface AccountSessionsTable {
  workspace: string;
  session_id: string;
  account_id: string;
  since: Timestamp;
}

/** Read model: one row per agent worker. */
export interface AgentsTable {
  workspace: string;
  id: string;
  status: string;
  name: string;
  providers: string[];
  max_concurrent: number;
  version: string;
  offline_reason: string | null;
  registered_at: Timestamp;
  /** The latest event that showed the agent alive (registration, drain, resume, a session start). */
  last_seen_at: Timestamp;
  updated_at: Timestamp;
  created_seq: number;
  last_seq: number;
}

/** Sessions running per agent, kept by the `agents` projection. */
export interface AgentSessionsTable {
  workspace: string;
  session_id: string;
  agent_id: string;
  since: Timestamp;
}

/** Read model: session output chunks by their per-session sequence. */
export interface SessionOutputTable {
  workspace: string;
  session_id: string;
  seq: number;
  stream: string;
  text: string;
  at: Timestamp;
  /** Sequence of the chunk's message in the `OUTPUT` stream. */
  stream_seq: number;
}

/** Read model: every event, for per-aggregate history and the audit view. */
export interface EventIndexTable {
  stream_seq: number;
  /** Position of the event within its commit. */
  idx: number;
  event_id: string;
  type: string;
  version: number;
  workspace: string;
  aggregate_type: string;
  aggregate_id: string;
  at: Timestamp;
  actor_kind: string;
  actor_id: string;
  causation_id: string;
  correlation_id: string;
  data: unknown;
}

export interface Database {
  projection_checkpoints: ProjectionCheckpointTable;
  dead_letters: DeadLetterTable;
  sessions: SessionsTable;
  accounts: AccountsTable;
  account_sessions: AccountSessionsTable;
  agents: AgentsTable;
  agent_sessions: AgentSessionsTable;
  session_output: SessionOutputTable;
  event_index: EventIndexTable;
  idempotency_keys: IdempotencyKeyTable;
  account_credentials: AccountCredentialTable;
  dispatch_checkpoint: DispatchCheckpointTable;
  dispatch_sessions: DispatchSessionTable;
  dispatch_accounts: DispatchAccountTable;
  dispatch_agents: DispatchAgentTable;
  dispatch_timers: DispatchTimerTable;
}
