import { z } from 'zod';
import { Metadata, Provider, Timestamp } from '../common';

export const SESSION_STATUSES = [
  'Queued',
  'Starting',
  'Running',
  'Completed',
  'Failed',
  'Cancelled',
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** v1, as first written: no metadata, no explicit account, fixed attempts. Read as v2 by the upcaster. */
export const SessionRequestedV1 = z.object({
  provider: Provider,
  prompt: z.string().min(1),
  model: z.string().nullable(),
});

export const SessionRequestedV2 = SessionRequestedV1.extend({
  requestedAccountId: z.string().nullable(),
  metadata: Metadata,
  maxAttempts: z.number().int().min(1).max(10),
});

/** Queued and still waiting: why, and when the earliest account comes back if every one is cooling. */
export const SessionWaiting = z.object({
  reason: z.string().min(1),
  eta: Timestamp.nullable(),
});

/**
 * Dispatched: an account is chosen and the work item is on the provider's work queue.
 * No agent yet: agents share one pull consumer, so the agent is bound when it starts.
 */
export const SessionAssigned = z.object({
  accountId: z.string().min(1),
  attempt: z.number().int().min(1),
});

/** The agent that pulled the work item started it; from now on only this agent may act on it. */
export const SessionStarted = z.object({ agentId: z.string().min(1), attempt: z.number().int().min(1) });

/** Back to Queued after the account or agent failed it; the failed attempt stays in history. */
export const SessionRequeued = z.object({
  reason: z.string().min(1),
  failedAccountId: z.string().nullable(),
  eta: Timestamp.nullable(),
});

export const SessionCompleted = z.object({
  outputChunks: z.number().int().min(0),
  inputTokens: z.number().int().min(0).nullable(),
  outputTokens: z.number().int().min(0).nullable(),
});

export const SessionFailed = z.object({
  reason: z.string().min(1),
});

export const SessionCancelled = z.object({
  reason: z.string().min(1),
});
