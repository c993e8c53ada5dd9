import { type AggregateType, aggregateOf, type DomainEvent, validateEventData } from '@flywheel/schemas';
import fc from 'fast-check';
import { expect } from 'vitest';
import { InvalidTransitionError, NotFoundError } from '../../errors/errors';
import type { DecideContext } from '../decide-context';
import { INITIAL } from '../status-guards';
import { type Decider, fold } from './decider-spec';

/** One command of a random sequence and how far the clock moved before it. */
export interface Step<C> {
  readonly advanceMs: number;
  readonly command: C;
}

/** Where every random clock starts. */
export const SEQUENCE_START = Date.parse('2030-01-01T00:00:00.000Z');

/** Random command sequences on a clock that only moves forward (0 to 15 minutes a step). */
export function stepsOf<C>(command: fc.Arbitrary<C>, maxLength = 40): fc.Arbitrary<Step<C>[]> {
  const step = fc.record({ advanceMs: fc.integer({ min: 0, max: 15 * 60_000 }), command });
  // size 'max': fast-check otherwise keeps arrays short, and lifecycles need a few steps to unfold.
  return fc.array(step, { maxLength, size: 'max' });
}

/**
 * Instants within the first hours of the sequence clock, written with and without
 * milliseconds (both are valid timestamps; deciders must compare them as instants).
 */
export function timestampArb(hours = 6): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 0, max: hours * 3600 }), fc.integer({ min: 0, max: 999 }), fc.boolean())
    .map(([s, ms, withMillis]) => {
      const iso = new Date(SEQUENCE_START + s * 1000 + (withMillis ? ms : 0)).toISOString();
      return withMillis ? iso : iso.replace('.000Z', 'Z');
    });
}

/** What the brief says about an aggregate, for the property checks. */
export interface SequenceRules<
  C extends { readonly type: string },
  S extends { readonly status: string },
  E extends DomainEvent,
> {
  readonly aggregate: AggregateType;
  /** The brief's statuses; after its first event an aggregate is always in one of them. */
  readonly statuses: readonly string[];
  /** For each command type, the `[from, to]` status pairs an accepted command may produce. */
  readonly transitions: { readonly [K in C['type']]: readonly (readonly [string, string])[] };
  /** Validates a generated command with the command schema, so the generators stay honest. */
  readonly parse: (command: unknown) => C;
  /** Further checks that an accepted command's outcome matches its decision. */
  readonly checkAccepted?: (prev: S, command: C, events: readonly E[], next: S, ctx: DecideContext) => void;
  /** What must hold of every state reached. */
  readonly invariant?: (state: S) => void;
}

/** What one sequence covered, so a suite can prove its generators reach every status. */
export interface SequenceCoverage {
  readonly statuses: Set<string>;
  /** Command types that were accepted with at least one event. */
  readonly changedBy: Set<string>;
}

export function emptyCoverage(): SequenceCoverage {
  return { statuses: new Set(), changedBy: new Set() };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Runs a command sequence through a decider and checks, at every step, the properties the
 * brief asks for: accepted commands emit valid events of this aggregate that fold into a
 * status the brief allows, by a transition the brief lists; rejected commands throw a named
 * error and leave the state untouched (states are frozen, so a mutation would throw too);
 * and folding the whole emitted log from the initial state reproduces the final state.
 */
export function runCommandSequence<
  C extends { readonly type: string },
  S extends { readonly status: string },
  E extends DomainEvent,
>(
  decider: Decider<C, S, E>,
  rules: SequenceRules<C, S, E>,
  steps: readonly Step<C>[],
  coverage: SequenceCoverage,
) {
  let state = deepFreeze(decider.evolver.initialState());
  let now = SEQUENCE_START;
  const log: E[] = [];
  for (const step of steps) {
    now += step.advanceMs;
    const ctx: DecideContext = { now: new Date(now) };
    const command = rules.parse(step.command);
    const before = structuredClone(state);
    let events: readonly E[];
    try {
      events = decider.decide(command, state, ctx);
    } catch (err) {
      if (err instanceof NotFoundError) {
        expect(state.status).toBe(INITIAL);
      } else {
        expect(err).toBeInstanceOf(InvalidTransitionError);
        expect((err as InvalidTransitionError).details).toMatchObject({ status: state.status });
      }
      expect(state).toEqual(before);
      continue;
    }
    for (const event of events) {
      expect(aggregateOf(event.type)).toBe(rules.aggregate);
      validateEventData(event.type, event.data);
    }
    const next = deepFreeze(fold(decider.evolver, events, state));
    if (log.length + events.length > 0) expect(rules.statuses).toContain(next.status);
    const allowed: readonly (readonly [string, string])[] = rules.transitions[command.type as C['type']];
    expect(allowed).toContainEqual([state.status, next.status]);
    rules.checkAccepted?.(state, command, events, next, ctx);
    rules.invariant?.(next);
    if (events.length > 0) coverage.changedBy.add(command.type);
    coverage.statuses.add(next.status);
    log.push(...events);
    state = next;
  }
  expect(fold(decider.evolver, log)).toEqual(state);
}
