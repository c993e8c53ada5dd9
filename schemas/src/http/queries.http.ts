import { z } from 'zod';
import { Provider } from '../common';
import { AGGREGATE_TYPES } from '../envelope';
import { EVENT_TYPES } from '../event-registry';
import { ACCOUNT_STATUSES } from '../events/account.events';
import { AGENT_STATUSES } from '../events/agent.events';
import { SESSION_STATUSES } from '../events/session.events';
import { OUTPUT_STREAMS } from '../output';
import { AccountView } from './accounts.http';
import { AuthQuery } from './auth.http';
import { HistoryEvent, SessionView } from './sessions.http';

/**
 * Read-your-writes: the `streamSeq` a command answered with. The query waits (bounded)
 * until the read model has applied it; also accepted as the `X-Consistent-With` header.
 */
const consistentWith = z.coerce
  .number({ error: 'expected a stream sequence (the streamSeq a command returned)' })
  .int('expected a whole stream sequence')
  .min(0, 'expected a stream sequence of 0 or more')
  .max(Number.MAX_SAFE_INTEGER)
  .optional()
  .describe('wait until the read model includes this stream sequence (a command response streamSeq)');

const limit = (max: number, fallback: number) =>
  z.coerce
    .number({ error: `expected a number from 1 to ${max}` })
    .int(`expected a whole number from 1 to ${max}`)
    .min(1, `expected a number from 1 to ${max}`)
    .max(max, `expected a number from 1 to ${max}`)
    .default(fallback);

/** `GET /api/v1/sessions` query: filters, a cursor from the previous page, and a page size. */
export const SessionListQuery = AuthQuery.extend({
  status: z.enum(SESSION_STATUSES, { error: `expected one of ${SESSION_STATUSES.join(', ')}` }).optional(),
  provider: Provider.optional(),
  cursor: z.string().min(1).max(200).optional().describe('nextCursor of the previous page'),
  limit: limit(200, 50),
  consistentWith,
});
export type SessionListQuery = z.infer<typeof SessionListQuery>;

/** `GET /api/v1/events` query (admins): the workspace's events, newest first, narrowed by aggregate, type or actor. */
export const AuditQuery = AuthQuery.extend({
  aggregateType: z
    .enum(AGGREGATE_TYPES, { error: `expected one of ${AGGREGATE_TYPES.join(', ')}` })
    .optional()
    .describe('only events of this kind of aggregate'),
  aggregateId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('only events of this aggregate (give aggregateType too)'),
  type: z
    .enum(EVENT_TYPES, { error: 'expected an event type, such as SessionRequested or AccountRateLimited' })
    .optional()
    .describe('only events of this type'),
  actorId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('only events caused by this user, agent or service'),
  cursor: z.string().min(1).max(200).optional().describe('nextCursor of the previous page'),
  limit: limit(200, 50),
  consistentWith,
}).refine((q) => q.aggregateId === undefined || q.aggregateType !== undefined, {
  path: ['aggregateId'],
  message: 'give aggregateType too: an id names an aggregate only within its kind',
});
export type AuditQuery = z.infer<typeof AuditQuery>;

/** `GET /api/v1/accounts` query: filters, a cursor from the previous page, and a page size. */
export const AccountListQuery = AuthQuery.extend({
  status: z.enum(ACCOUNT_STATUSES, { error: `expected one of ${ACCOUNT_STATUSES.join(', ')}` }).optional(),
  provider: Provider.optional(),
  cursor: z.string().min(1).max(200).optional().describe('nextCursor of the previous page'),
  limit: limit(500, 100),
  consistentWith,
});
export type AccountListQuery = z.infer<typeof AccountListQuery>;

/** `GET /api/v1/agents` query: filters, a cursor from the previous page, and a page size. */
export const AgentListQuery = AuthQuery.extend({
  status: z.enum(AGENT_STATUSES, { error: `expected one of ${AGENT_STATUSES.join(', ')}` }).optional(),
  provider: Provider.optional().describe('only agents that serve this provider'),
  cursor: z.string().min(1).max(200).optional().describe('nextCursor of the previous page'),
  limit: limit(500, 100),
  consistentWith,
});
export type AgentListQuery = z.infer<typeof AgentListQuery>;

/** Queries that take nothing but read-your-writes (details, histories). */
export const ConsistentQuery = AuthQuery.extend({ consistentWith });

/** `GET /api/v1/sessions/:id/output` query: chunks after a sequence, at most `limit` of them. */
export const OutputQuery = AuthQuery.extend({
  after: z.coerce
    .number({ error: 'expected the seq of the last chunk you have (0 for the start)' })
    .int('expected a whole chunk sequence')
    .min(0, 'expected a chunk sequence of 0 or more')
    .max(Number.MAX_SAFE_INTEGER)
    .default(0),
  limit: limit(1000, 200),
});
export type OutputQuery = z.infer<typeof OutputQuery>;

const time = z.string().describe('ISO 8601 time');

/** A session in a list: the prompt shortened to a preview. */
export const SessionSummary = z
  .strictObject({
    id: z.string(),
    status: z.enum(SESSION_STATUSES),
    provider: Provider,
    model: z.string().nullable(),
    promptPreview: z.string(),
    accountId: z.string().nullable(),
    agentId: z.string().nullable(),
    attempts: z.number().int(),
    maxAttempts: z.number().int(),
    queueReason: z.string().nullable(),
    eta: time.nullable(),
    reason: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    createdAt: time,
    queuedAt: time,
    assignedAt: time.nullable(),
    startedAt: time.nullable(),
    finishedAt: time.nullable(),
    updatedAt: time,
    streamSeq: z.number().int(),
  })
  .meta({ id: 'SessionSummary' });
export type SessionSummary = z.infer<typeof SessionSummary>;

/** One page of sessions, newest first; `nextCursor` is null on the last page. */
export const SessionPage = z
  .strictObject({ items: z.array(SessionSummary), nextCursor: z.string().nullable() })
  .meta({ id: 'SessionPage' });
export type SessionPage = z.infer<typeof SessionPage>;

/** A session with the time of each transition. */
export const SessionDetail = SessionView.extend({
  createdAt: time,
  queuedAt: time,
  assignedAt: time.nullable(),
  startedAt: time.nullable(),
  finishedAt: time.nullable(),
  updatedAt: time,
}).meta({ id: 'SessionDetail' });
export type SessionDetail = z.infer<typeof SessionDetail>;

export const OutputChunkView = z.strictObject({
  seq: z.number().int(),
  stream: z.enum(OUTPUT_STREAMS),
  text: z.string(),
  at: time,
});

/** Output chunks in sequence order; ask again with `after=nextAfter` for more. */
export const OutputPage = z
  .strictObject({
    sessionId: z.string(),
    chunks: z.array(OutputChunkView),
    /** The seq of the last chunk returned (the `after` given when there was none). */
    nextAfter: z.number().int(),
  })
  .meta({ id: 'OutputPage' });
export type OutputPage = z.infer<typeof OutputPage>;

/** One event of the audit log: a history event with the aggregate it belongs to. */
export const AuditEvent = HistoryEvent.extend({
  /** Its place in its commit (a commit's events share `seq`). */
  idx: z.number().int(),
  aggregate: z.strictObject({ type: z.enum(AGGREGATE_TYPES), id: z.string() }),
}).meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof AuditEvent>;

/** One page of the audit log, newest first; `nextCursor` is null on the last page. */
export const AuditPage = z
  .strictObject({ items: z.array(AuditEvent), nextCursor: z.string().nullable() })
  .meta({ id: 'AuditPage' });
export type AuditPage = z.infer<typeof AuditPage>;

/** An account with how busy it is: never a secret, only its fingerprint. */
export const AccountDetail = AccountView.extend({
  sessionsRunning: z.number().int(),
  lastUsedAt: time.nullable(),
  createdAt: time,
  updatedAt: time,
}).meta({ id: 'AccountDetail' });
export type AccountDetail = z.infer<typeof AccountDetail>;

/** One page of accounts in the order they were linked; `nextCursor` is null on the last page. */
export const AccountList = z
  .strictObject({ items: z.array(AccountDetail), nextCursor: z.string().nullable() })
  .meta({ id: 'AccountList' });
export type AccountList = z.infer<typeof AccountList>;

/** An agent worker and its health. */
export const AgentView = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    status: z.enum(AGENT_STATUSES),
    providers: z.array(Provider),
    maxConcurrent: z.number().int(),
    sessionsRunning: z.number().int(),
    version: z.string(),
    offlineReason: z.string().nullable(),
    registeredAt: time,
    /** The latest event that showed it alive: registration, drain, resume, or a session it started. */
    lastSeenAt: time,
    /**
     * The last heartbeat the dispatcher recorded, by the dispatcher's clock (at registration
     * until the first); null when the dispatcher has not seen the agent. Heartbeats are not events.
     */
    lastHeartbeatAt: time.nullable(),
    streamSeq: z.number().int(),
  })
  .meta({ id: 'Agent' });
export type AgentView = z.infer<typeof AgentView>;

/** One page of agents in the order they registered; `nextCursor` is null on the last page. */
export const AgentList = z
  .strictObject({ items: z.array(AgentView), nextCursor: z.string().nullable() })
  .meta({ id: 'AgentList' });
export type AgentList = z.infer<typeof AgentList>;
