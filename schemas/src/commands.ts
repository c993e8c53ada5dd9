import { z } from 'zod';
import { Metadata, Provider, Timestamp } from './common';
import { AccountErrorCode, AuthType, CooldownSource } from './events/account.events';

/**
 * Commands are imperative requests to one aggregate. The data here is what the caller
 * supplies; the command id, actor and clock come in as metadata (see `CommandMetadata`).
 */
export const SessionCommand = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('StartSession'),
    data: z.object({
      provider: Provider,
      prompt: z.string().min(1).max(200_000),
      model: z.string().min(1).max(100).nullable(),
      requestedAccountId: z.string().min(1).nullable(),
      metadata: Metadata,
      maxAttempts: z.number().int().min(1).max(10),
    }),
  }),
  z.object({
    type: z.literal('RecordSessionWaiting'),
    data: z.object({ reason: z.string().min(1), eta: Timestamp.nullable() }),
  }),
  z.object({
    type: z.literal('AssignSession'),
    data: z.object({ accountId: z.string().min(1) }),
  }),
  /** `attempt` must be the current one, so a stale work item from an earlier attempt cannot start it. */
  z.object({
    type: z.literal('MarkSessionStarted'),
    data: z.object({ agentId: z.string().min(1), attempt: z.number().int().min(1) }),
  }),
  z.object({
    type: z.literal('RequeueSession'),
    data: z.object({
      reason: z.string().min(1),
      failedAccountId: z.string().nullable(),
      eta: Timestamp.nullable(),
    }),
  }),
  z.object({
    type: z.literal('CompleteSession'),
    data: z.object({
      agentId: z.string().min(1),
      outputChunks: z.number().int().min(0),
      inputTokens: z.number().int().min(0).nullable(),
      outputTokens: z.number().int().min(0).nullable(),
    }),
  }),
  z.object({ type: z.literal('FailSession'), data: z.object({ reason: z.string().min(1) }) }),
  z.object({ type: z.literal('CancelSession'), data: z.object({ reason: z.string().min(1) }) }),
]);
export type SessionCommand = z.infer<typeof SessionCommand>;

export const AccountCommand = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('LinkAccount'),
    data: z.object({
      provider: Provider,
      label: z.string().min(1).max(100),
      authType: AuthType,
      fingerprint: z.string().min(1).max(64),
      baseUrl: z.url().nullable(),
      maxConcurrent: z.number().int().min(1).max(1000),
    }),
  }),
  z.object({ type: z.literal('RequestAccountVerification'), data: z.object({}) }),
  z.object({ type: z.literal('RecordAccountVerified'), data: z.object({}) }),
  z.object({
    type: z.literal('RecordAccountError'),
    data: z.object({ code: AccountErrorCode, reason: z.string().min(1) }),
  }),
  z.object({
    type: z.literal('RecordRateLimit'),
    data: z.object({ until: Timestamp, source: CooldownSource, sessionId: z.string().nullable() }),
  }),
  z.object({ type: z.literal('EndCooldown'), data: z.object({}) }),
  z.object({ type: z.literal('MarkAccountExpired'), data: z.object({ cause: z.string().min(1) }) }),
  z.object({ type: z.literal('ReauthenticateAccount'), data: z.object({ fingerprint: z.string().min(1) }) }),
  z.object({
    type: z.literal('RecordTokensRefreshed'),
    data: z.object({ fingerprint: z.string().min(1), expiresAt: Timestamp }),
  }),
  z.object({ type: z.literal('RevokeAccount'), data: z.object({ reason: z.string().nullable() }) }),
]);
export type AccountCommand = z.infer<typeof AccountCommand>;

export const AgentCommand = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('RegisterAgent'),
    data: z.object({
      name: z.string().min(1).max(100),
      providers: z.array(Provider).min(1),
      maxConcurrent: z.number().int().min(1).max(1000),
      version: z.string().min(1).max(50),
    }),
  }),
  z.object({ type: z.literal('DrainAgent'), data: z.object({}) }),
  z.object({ type: z.literal('ResumeAgent'), data: z.object({}) }),
  z.object({ type: z.literal('MarkAgentOffline'), data: z.object({ reason: z.string().min(1) }) }),
]);
export type AgentCommand = z.infer<typeof AgentCommand>;

/** What every command carries besides its data: who, when, and which ids tie it together. */
export interface CommandMetadata {
  readonly commandId: string;
  readonly now: Date;
  readonly actor: { readonly kind: 'user' | 'agent' | 'system'; readonly id: string };
  readonly correlationId: string;
  readonly causationId?: string;
}
