import { z } from 'zod';
import { Metadata, Provider, StorableText } from '../common';
import { SubjectToken } from '../envelope';
import { SESSION_STATUSES } from '../events/session.events';

/** How many accounts a session may try before it fails (failover after a rate limit or a bad key). */
export const DEFAULT_SESSION_ATTEMPTS = 3;

/** `POST /api/v1/sessions`: a prompt for an agent, optionally pinned to one account. */
export const StartSessionBody = z
  .strictObject({
    provider: Provider,
    prompt: StorableText.min(1, 'the prompt must not be empty').max(200_000),
    model: StorableText.min(1).max(100).optional(),
    accountId: SubjectToken.optional().describe('run only on this account'),
    metadata: Metadata.optional(),
  })
  .meta({ id: 'StartSessionBody' });
export type StartSessionBody = z.infer<typeof StartSessionBody>;

/** `POST /api/v1/sessions/:id/cancel`; the body is optional (Fastify gives null for none). */
export const CancelSessionBody = z
  .strictObject({ reason: StorableText.min(1).max(500).optional() })
  .nullish();

export const SessionIdParams = z.strictObject({ id: SubjectToken });

/** Accepted for work: the id, and the stream sequence of the commit for read-your-writes. */
export const SessionAccepted = z
  .strictObject({
    id: z.string(),
    status: z.literal('Queued'),
    streamSeq: z.number().int(),
  })
  .meta({ id: 'SessionAccepted' });
export type SessionAccepted = z.infer<typeof SessionAccepted>;

/** A session as users see it; fields that do not apply to its status are null. */
export const SessionView = z
  .strictObject({
    id: z.string(),
    status: z.enum(SESSION_STATUSES),
    provider: Provider,
    prompt: z.string(),
    model: z.string().nullable(),
    requestedAccountId: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    maxAttempts: z.number().int(),
    attempts: z.number().int(),
    failedAccountIds: z.array(z.string()),
    accountId: z.string().nullable(),
    agentId: z.string().nullable(),
    queueReason: z.string().nullable(),
    eta: z.string().nullable(),
    /** Why it failed or was cancelled. */
    reason: z.string().nullable(),
    outputChunks: z.number().int().nullable(),
    inputTokens: z.number().int().nullable(),
    outputTokens: z.number().int().nullable(),
    /** Stream sequence of the session's last commit. */
    streamSeq: z.number().int(),
  })
  .meta({ id: 'Session' });
export type SessionView = z.infer<typeof SessionView>;

/** One stored event of a session's history. */
export const HistoryEvent = z.strictObject({
  id: z.string(),
  type: z.string(),
  version: z.number().int(),
  at: z.string(),
  actor: z.strictObject({ kind: z.string(), id: z.string() }),
  causationId: z.string(),
  correlationId: z.string(),
  data: z.record(z.string(), z.unknown()),
  seq: z.number().int(),
});

/** `GET /api/v1/sessions/:id/events`: the session's full history, oldest first. */
export const SessionHistory = z
  .strictObject({
    id: z.string(),
    events: z.array(HistoryEvent),
    streamSeq: z.number().int(),
  })
  .meta({ id: 'SessionHistory' });
export type SessionHistory = z.infer<typeof SessionHistory>;
