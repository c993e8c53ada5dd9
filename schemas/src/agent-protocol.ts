import { z } from 'zod';
import { Provider, Timestamp } from './common';
import { SubjectToken } from './envelope';
import { AccountErrorCode, AuthType, CooldownSource } from './events/account.events';

/**
 * The wire contract between agent workers and the gateway (see docs/agents.md). Agents never
 * write EVENTS: they pull work items, publish output, and ask the gateway, by NATS
 * request-reply on `fw.rpc.agent.<op>`, to record what happened.
 */

/** Workspace token under which agent aggregates live: agents serve every workspace. */
export const AGENTS_WORKSPACE = '_agents';
/** Agents publish a heartbeat this often; the dispatcher declares one lost after several missed. */
export const HEARTBEAT_INTERVAL_MS = 3_000;
/** How long a leased credential may be used; the agent drops it when the session ends anyway. */
export const LEASE_TTL_MS = 5 * 60 * 1000;
/** The failure reason of a session an agent hands back because it is shutting down. */
export const AGENT_DRAINING_REASON = 'agent draining';
/** The `role` claim of an agent token; no HTTP route accepts it. */
export const AGENT_ROLE = 'agent';

/** Request subjects are `fw.rpc.agent.<op>`. */
export const AGENT_RPC_OPS = [
  'register',
  'drain',
  'started',
  'completed',
  'failed',
  'outcome',
  'lease',
] as const;
export type AgentRpcOp = (typeof AGENT_RPC_OPS)[number];
export function isAgentRpcOp(op: string): op is AgentRpcOp {
  return (AGENT_RPC_OPS as readonly string[]).includes(op);
}

/** Published by the dispatcher on `fw.work.<provider>` with `Nats-Msg-Id` = `<sessionId>.<attempt>`. */
export const WorkItem = z.object({
  sessionId: SubjectToken,
  workspace: SubjectToken,
  provider: Provider,
  accountId: z.string().min(1),
  attempt: z.number().int().min(1),
  model: z.string().min(1).nullable(),
  prompt: z.string().min(1),
});
export type WorkItem = z.infer<typeof WorkItem>;

/** Dedupe id of a work item: a re-published dispatch of the same attempt is stored once. */
export const workItemMsgId = (sessionId: string, attempt: number): string => `${sessionId}.${attempt}`;
/** Dedupe id of an output chunk: a retried publish of the same chunk is stored once. */
export const outputChunkMsgId = (sessionId: string, attempt: number, seq: number): string =>
  `${sessionId}.${attempt}.${seq}`;

/** Published (no reply) on `fw.agents.heartbeat.<agentId>` every `HEARTBEAT_INTERVAL_MS`. */
export const AgentHeartbeat = z.object({
  agentId: SubjectToken,
  /** Sessions this agent is running right now. */
  running: z.array(SubjectToken).max(1000),
  /** The most sessions this agent runs at once (AGENT_MAX_CONCURRENT). */
  capacity: z.number().int().min(1).max(1000),
  at: Timestamp,
});
export type AgentHeartbeat = z.infer<typeof AgentHeartbeat>;

/**
 * Every request names the agent, proves it with an agent token (HS256 JWT, `sub` = agentId,
 * `role` = agent) and carries a request id: a retry with the same id is applied once.
 */
const RequestBase = z.object({
  agentId: SubjectToken,
  token: z.string().min(1).max(4096),
  requestId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1-64 letters, digits, "_" or "-"'),
});

/** The session and attempt a request is about; the gateway checks it is this agent's. */
const SessionRequest = RequestBase.extend({
  workspace: SubjectToken,
  sessionId: SubjectToken,
  attempt: z.number().int().min(1),
});

export const RegisterRequest = RequestBase.extend({
  name: z.string().min(1).max(100),
  providers: z.array(Provider).min(1),
  maxConcurrent: z.number().int().min(1).max(1000),
  version: z.string().min(1).max(50),
});
export const DrainRequest = RequestBase;
export const StartedRequest = SessionRequest;
export const CompletedRequest = SessionRequest.extend({
  outputChunks: z.number().int().min(0),
  inputTokens: z.number().int().min(0).nullable(),
  outputTokens: z.number().int().min(0).nullable(),
});
/** `retryable` re-queues the session (bounded attempts); otherwise it fails with `reason`. */
export const FailedRequest = SessionRequest.extend({
  reason: z.string().min(1).max(2000),
  retryable: z.boolean(),
});
/** What the provider said about the account: the gateway records it and fails the session over. */
export const AccountOutcome = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('rate_limited'),
    until: Timestamp,
    source: CooldownSource,
    message: z.string().max(2000),
  }),
  z.object({
    kind: z.literal('credential_rejected'),
    code: AccountErrorCode.exclude(['provider_error']),
    reason: z.string().min(1).max(2000),
  }),
]);
export type AccountOutcome = z.infer<typeof AccountOutcome>;
export const OutcomeRequest = SessionRequest.extend({ outcome: AccountOutcome });
export const LeaseRequest = SessionRequest;

export const AGENT_REQUESTS = {
  register: RegisterRequest,
  drain: DrainRequest,
  started: StartedRequest,
  completed: CompletedRequest,
  failed: FailedRequest,
  outcome: OutcomeRequest,
  lease: LeaseRequest,
} as const satisfies Record<AgentRpcOp, z.ZodType>;
export type AgentRequest<Op extends AgentRpcOp> = z.infer<(typeof AGENT_REQUESTS)[Op]>;

/** A refusal: `code` is one of the gateway's error codes (unauthorized, forbidden, invalid_transition, ...). */
export const AgentRpcError = z.object({ code: z.string().min(1), message: z.string() });
export type AgentRpcError = z.infer<typeof AgentRpcError>;
const Refused = z.object({ ok: z.literal(false), error: AgentRpcError });

const reply = <S extends z.ZodRawShape>(shape: S) =>
  z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), ...shape }), Refused]);

/** Most replies confirm the command and give the aggregate's version after it. */
const CommandReply = reply({ version: z.number().int().min(0) });
/** A short-lived credential; never logged, never kept beyond the session. */
export const LeaseReply = reply({
  secret: z.string().min(1),
  kind: AuthType,
  baseUrl: z.url().nullable(),
  expiresAt: Timestamp,
});

export const AGENT_REPLIES = {
  register: CommandReply,
  drain: CommandReply,
  started: CommandReply,
  completed: CommandReply,
  failed: CommandReply,
  outcome: CommandReply,
  lease: LeaseReply,
} as const satisfies Record<AgentRpcOp, z.ZodType>;
export type AgentReply<Op extends AgentRpcOp> = z.infer<(typeof AGENT_REPLIES)[Op]>;
export type AgentReplyData<Op extends AgentRpcOp> = Omit<Extract<AgentReply<Op>, { ok: true }>, 'ok'>;
