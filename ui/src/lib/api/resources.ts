import type {
  AccountDetail,
  AccountStatus,
  AgentStatus,
  AgentView,
  AggregateType,
  EventType,
  Provider,
  SessionDetail,
  SessionStatus,
  SessionSummary,
} from '@flywheel/schemas';

export type {
  AccountStatus,
  AgentStatus,
  AggregateType,
  AuditEvent,
  AuditPage,
  EventType,
  LinkAccountBody,
  OutputChunk,
  Provider,
  Role,
  SessionAccepted,
  SessionDetail,
  SessionStatus,
  StartSessionBody,
} from '@flywheel/schemas';

/**
 * A session as the dashboard shows it: what the list gives, plus what only one session's
 * own page has (the whole prompt, failed accounts, usage) when it came from there.
 */
export type SessionRow = SessionSummary &
  Partial<
    Pick<
      SessionDetail,
      'prompt' | 'requestedAccountId' | 'failedAccountIds' | 'outputChunks' | 'inputTokens' | 'outputTokens'
    >
  >;

/** An account with how busy it is; never a secret, only its fingerprint. */
export type AccountRow = AccountDetail;

/** An agent worker and its health. */
export type AgentRow = AgentView;

/** One page of a list, and the cursor of the next (older) page when the list pages. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string | null;
}

/** Characters of the prompt a list shows (as the read model keeps them). */
export const PROMPT_PREVIEW_LENGTH = 200;

/** A session's own page as a row. */
export function detailRow(detail: SessionDetail): SessionRow {
  return { ...detail, promptPreview: detail.prompt.slice(0, PROMPT_PREVIEW_LENGTH) };
}

/** The session statuses, in lifecycle order, for filters. */
export const SESSION_STATUS_ORDER = [
  'Queued',
  'Starting',
  'Running',
  'Completed',
  'Failed',
  'Cancelled',
] as const satisfies readonly SessionStatus[];

export const PROVIDER_ORDER = ['anthropic', 'openai', 'google'] as const satisfies readonly Provider[];

/** The account statuses, for the accounts page's filter. */
export const ACCOUNT_STATUS_ORDER = [
  'Verifying',
  'Active',
  'Cooldown',
  'Expired',
  'Error',
  'Revoked',
] as const satisfies readonly AccountStatus[];

/** The agent statuses, for the agents page's filter. */
export const AGENT_STATUS_ORDER = ['Online', 'Draining', 'Offline'] as const satisfies readonly AgentStatus[];

/** Whether a session can still change. */
export function isFinished(status: SessionStatus): boolean {
  return status === 'Completed' || status === 'Failed' || status === 'Cancelled';
}

/** The kinds of aggregate, for the audit log's filter. */
export const AGGREGATE_TYPE_ORDER = [
  'session',
  'account',
  'agent',
] as const satisfies readonly AggregateType[];

/**
 * Every event type and the aggregate it belongs to, as the schemas' registry lists them; a
 * record, so a type added there fails to compile here until it is added too (importing the
 * registry itself would bring every zod schema into the browser).
 */
export const EVENT_AGGREGATE: Readonly<Record<EventType, AggregateType>> = {
  SessionRequested: 'session',
  SessionWaiting: 'session',
  SessionAssigned: 'session',
  SessionStarted: 'session',
  SessionRequeued: 'session',
  SessionCompleted: 'session',
  SessionFailed: 'session',
  SessionCancelled: 'session',
  AccountLinked: 'account',
  AccountVerificationRequested: 'account',
  AccountVerified: 'account',
  AccountErrored: 'account',
  AccountRateLimited: 'account',
  AccountCooldownEnded: 'account',
  AccountExpired: 'account',
  AccountReauthenticated: 'account',
  AccountTokensRefreshed: 'account',
  AccountRevoked: 'account',
  AgentRegistered: 'agent',
  AgentDrainStarted: 'agent',
  AgentResumed: 'agent',
  AgentWentOffline: 'agent',
};

/** The event types in the registry's order (by aggregate, then lifecycle). */
export const EVENT_TYPE_ORDER = Object.keys(EVENT_AGGREGATE) as EventType[];
