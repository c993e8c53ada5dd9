import type { z } from 'zod';
import type { AggregateType } from './envelope';
import * as account from './events/account.events';
import * as agent from './events/agent.events';
import * as session from './events/session.events';

/** An older shape of an event and how to lift it one version up. */
interface OlderVersion {
  readonly schema: z.ZodType;
  readonly upcast: (data: never) => unknown;
}

/** What the registry knows of one event type: its aggregate, current schema and history. */
interface EventDefinition<A extends AggregateType, S extends z.ZodType> {
  readonly aggregate: A;
  readonly schema: S;
  /** older[0] is version 1; the current version is older.length + 1. */
  readonly older: readonly OlderVersion[];
}

function event<A extends AggregateType, S extends z.ZodType>(
  aggregate: A,
  schema: S,
  older: readonly OlderVersion[] = [],
): EventDefinition<A, S> {
  return { aggregate, schema, older };
}

export const EVENT_DEFINITIONS = {
  SessionRequested: event('session', session.SessionRequestedV2, [
    {
      schema: session.SessionRequestedV1,
      upcast: (
        v1: z.infer<typeof session.SessionRequestedV1>,
      ): z.infer<typeof session.SessionRequestedV2> => ({
        ...v1,
        requestedAccountId: null,
        metadata: {},
        maxAttempts: 3,
      }),
    },
  ]),
  SessionWaiting: event('session', session.SessionWaiting),
  SessionAssigned: event('session', session.SessionAssigned),
  SessionStarted: event('session', session.SessionStarted),
  SessionRequeued: event('session', session.SessionRequeued),
  SessionCompleted: event('session', session.SessionCompleted),
  SessionFailed: event('session', session.SessionFailed),
  SessionCancelled: event('session', session.SessionCancelled),

  AccountLinked: event('account', account.AccountLinked),
  AccountVerificationRequested: event('account', account.AccountVerificationRequested),
  AccountVerified: event('account', account.AccountVerified),
  AccountErrored: event('account', account.AccountErrored),
  AccountRateLimited: event('account', account.AccountRateLimited),
  AccountCooldownEnded: event('account', account.AccountCooldownEnded),
  AccountExpired: event('account', account.AccountExpired),
  AccountReauthenticated: event('account', account.AccountReauthenticated),
  AccountTokensRefreshed: event('account', account.AccountTokensRefreshed),
  AccountRevoked: event('account', account.AccountRevoked),

  AgentRegistered: event('agent', agent.AgentRegistered),
  AgentDrainStarted: event('agent', agent.AgentDrainStarted),
  AgentResumed: event('agent', agent.AgentResumed),
  AgentWentOffline: event('agent', agent.AgentWentOffline),
} as const;

type Definitions = typeof EVENT_DEFINITIONS;
export type EventType = keyof Definitions;
export const EVENT_TYPES = Object.keys(EVENT_DEFINITIONS) as EventType[];

/** The current-version payload of an event type. */
export type EventData<T extends EventType> = z.infer<Definitions[T]['schema']>;

/** A domain event as deciders produce and evolvers consume it: type plus current-version data. */
export type DomainEvent = { [K in EventType]: { readonly type: K; readonly data: EventData<K> } }[EventType];

type EventsOf<A extends AggregateType> = {
  [K in EventType]: Definitions[K]['aggregate'] extends A
    ? { readonly type: K; readonly data: EventData<K> }
    : never;
}[EventType];
export type SessionEvent = EventsOf<'session'>;
export type AccountEvent = EventsOf<'account'>;
export type AgentEvent = EventsOf<'agent'>;

/** Thrown when an event does not match its schema; `issues` carry the field paths. */
export class EventSchemaError extends Error {
  override readonly name = 'EventSchemaError';
  constructor(
    message: string,
    readonly issues: readonly { readonly path: string; readonly message: string }[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_DEFINITIONS, type);
}

/** The version new events of `type` are written with. */
export function currentVersion(type: EventType): number {
  return EVENT_DEFINITIONS[type].older.length + 1;
}

export function aggregateOf(type: EventType): AggregateType {
  return EVENT_DEFINITIONS[type].aggregate;
}

function formatIssues(prefix: string, error: z.ZodError) {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'),
    message: i.message,
  }));
}

/** Validates a new event's data against its current schema; throws `EventSchemaError` naming each bad field. */
export function validateEventData<T extends EventType>(type: T, data: unknown): EventData<T> {
  if (!isEventType(type)) {
    throw new EventSchemaError(`unknown event type "${type}"`, [
      { path: 'type', message: 'unknown event type' },
    ]);
  }
  const result = EVENT_DEFINITIONS[type].schema.safeParse(data);
  if (!result.success) {
    const issues = formatIssues('data', result.error);
    throw new EventSchemaError(
      `${type}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
      { cause: result.error },
    );
  }
  return result.data as EventData<T>;
}

/**
 * Reads stored event data written at `version` as the current version: validates it
 * against the schema of the version it was written with, then applies each upcaster in turn.
 */
export function upcastEventData<T extends EventType>(type: T, version: number, data: unknown): EventData<T> {
  if (!isEventType(type)) {
    throw new EventSchemaError(`unknown event type "${type}"`, [
      { path: 'type', message: 'unknown event type' },
    ]);
  }
  const def: EventDefinition<AggregateType, z.ZodType> = EVENT_DEFINITIONS[type];
  const latest = def.older.length + 1;
  if (!Number.isInteger(version) || version < 1 || version > latest) {
    throw new EventSchemaError(`${type}: version ${version} is not known (current is ${latest})`, [
      { path: 'version', message: `expected 1..${latest}` },
    ]);
  }
  let current: unknown = data;
  for (let v = version; v < latest; v++) {
    const older = def.older[v - 1]!;
    const parsed = older.schema.safeParse(current);
    if (!parsed.success) {
      const issues = formatIssues('data', parsed.error);
      throw new EventSchemaError(
        `${type} v${v}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        issues,
      );
    }
    current = older.upcast(parsed.data as never);
  }
  return validateEventData(type, current);
}
