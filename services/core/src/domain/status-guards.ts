import type { AggregateType } from '@flywheel/schemas';
import { CorruptStreamError, InvalidTransitionError, NotFoundError, ValidationError } from '../errors/errors';

/** The status of an aggregate that has no events yet; it exists for nobody but its creating command. */
export const INITIAL = 'Initial';

interface HasStatus {
  readonly status: string;
}

type InStatus<S extends HasStatus, K extends S['status']> = Extract<S, { readonly status: K }>;

function isIn<S extends HasStatus, K extends S['status']>(
  state: S,
  allowed: readonly K[],
): state is InStatus<S, K> {
  return (allowed as readonly string[]).includes(state.status);
}

/** "Queued, Starting or Running", prefixed with the article English wants ("an Active ..."). */
function describeStatuses(statuses: readonly string[]): string {
  const list =
    statuses.length < 2 ? statuses.join('') : `${statuses.slice(0, -1).join(', ')} or ${statuses.at(-1)}`;
  return `${/^[AEIOU]/.test(list) ? 'an' : 'a'} ${list}`;
}

/** The rejection of a command the aggregate's status does not allow: "<aggregate> is <status>; <why>". */
export function rejectCommand(
  aggregate: AggregateType,
  status: string,
  command: string,
  why: string,
  details: Record<string, unknown> = {},
): InvalidTransitionError {
  return new InvalidTransitionError(`${aggregate} is ${status}; ${why}`, {
    details: { aggregate, status, command, ...details },
  });
}

/**
 * Narrows `state` to the statuses that accept `command`, or throws: `NotFoundError` when the
 * aggregate does not exist yet, else `InvalidTransitionError` saying which statuses would
 * ("only a Queued, Starting or Running session can be cancelled").
 */
export function requireStatus<S extends HasStatus, K extends S['status']>(
  aggregate: AggregateType,
  state: S,
  command: string,
  allowed: readonly K[],
  action: string,
): InStatus<S, K> {
  if (isIn(state, allowed)) return state;
  if (state.status === INITIAL) {
    throw new NotFoundError(`${aggregate} does not exist`, { details: { aggregate, command } });
  }
  throw rejectCommand(
    aggregate,
    state.status,
    command,
    `only ${describeStatuses(allowed.filter((s) => s !== INITIAL))} ${aggregate} can ${action}`,
    { allowed },
  );
}

/** Narrows `state` for `evolve`; an event its status cannot follow means the stream is corrupt. */
export function expectStatus<S extends HasStatus, K extends S['status']>(
  aggregate: AggregateType,
  state: S,
  event: { readonly type: string },
  allowed: readonly K[],
): InStatus<S, K> {
  if (isIn(state, allowed)) return state;
  throw new CorruptStreamError(
    `${aggregate} is ${state.status} and cannot follow with ${event.type}; its event stream is inconsistent`,
    { details: { aggregate, status: state.status, event: event.type } },
  );
}

/** The `never` arm of an `evolve` switch: exhaustive at compile time, loud for a foreign event at run time. */
export function unknownEvent(aggregate: AggregateType, event: never): never {
  const type = String((event as { readonly type?: unknown }).type);
  throw new CorruptStreamError(`${aggregate} stream holds an event it does not know: ${type}`, {
    details: { aggregate, event: type },
  });
}

/** The `never` arm of a `decide` switch: exhaustive at compile time, a clear error for an unchecked caller. */
export function unknownCommand(aggregate: AggregateType, command: never): never {
  const type = String((command as { readonly type?: unknown }).type);
  throw new ValidationError(`${aggregate} has no command ${type}`, { details: { aggregate, command: type } });
}
