import { z } from 'zod';
import { SubjectToken } from './envelope';

/**
 * WebSocket topics: workspace-wide feeds of one aggregate type, one session's events, or
 * one session's output. The id in `session:<id>` / `output:<id>` is a subject token.
 */
export const WsTopic = z.union([
  z.enum(['sessions', 'accounts', 'agents']),
  z.templateLiteral(['session:', SubjectToken]),
  z.templateLiteral(['output:', SubjectToken]),
]);
export type WsTopic = z.infer<typeof WsTopic>;

/** A position in a topic's stream; `after` resumes right behind it. */
export const WsCursor = z.coerce.number().int().min(0);

export const WsClientMessage = z.discriminatedUnion('op', [
  z.object({ op: z.literal('subscribe'), topic: WsTopic, after: WsCursor.optional() }).strict(),
  z.object({ op: z.literal('unsubscribe'), topic: WsTopic }).strict(),
  z.object({ op: z.literal('ping'), id: z.string().max(100).optional() }).strict(),
]);
export type WsClientMessage = z.infer<typeof WsClientMessage>;

export type WsServerMessage =
  | { readonly op: 'hello'; readonly user: string; readonly workspace: string; readonly role: string }
  | { readonly op: 'subscribed'; readonly topic: WsTopic; readonly cursor: number | null }
  | { readonly op: 'unsubscribed'; readonly topic: WsTopic }
  | { readonly op: 'event'; readonly topic: WsTopic; readonly cursor: number; readonly data: unknown }
  | { readonly op: 'error'; readonly code: string; readonly message: string; readonly topic?: string }
  | { readonly op: 'pong'; readonly id?: string };
