import { z } from 'zod';

/** Aggregate kinds that own a stream of events. */
export const AGGREGATE_TYPES = ['session', 'account', 'agent'] as const;
export const AggregateType = z.enum(AGGREGATE_TYPES);
export type AggregateType = z.infer<typeof AggregateType>;

/** Workspace ids and aggregate ids become NATS subject tokens, so they are restricted to safe characters. */
export const SubjectToken = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'use only letters, digits, "_" and "-"');

export const AggregateRef = z.object({
  type: AggregateType,
  id: SubjectToken,
});
export type AggregateRef = z.infer<typeof AggregateRef>;

export const ACTOR_KINDS = ['user', 'agent', 'system'] as const;
export const Actor = z.object({
  kind: z.enum(ACTOR_KINDS),
  id: z.string().min(1).max(200),
});
export type Actor = z.infer<typeof Actor>;

/**
 * The envelope every stored event travels in. `data` is validated separately against the
 * schema registered for `(type, version)`; see `event-registry.ts`.
 */
export const EventEnvelope = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  version: z.number().int().positive(),
  aggregate: AggregateRef,
  workspace: SubjectToken,
  at: z.iso.datetime(),
  actor: Actor,
  causationId: z.string().min(1),
  correlationId: z.string().min(1),
  data: z.unknown(),
});
export type EventEnvelope<TData = unknown> = Omit<z.infer<typeof EventEnvelope>, 'data'> & { data: TData };

/** One JetStream message: the events one command decided for one aggregate. */
export const Commit = z.object({
  commandId: z.string().min(1),
  events: z.array(EventEnvelope).min(1),
});
export type Commit = z.infer<typeof Commit>;
