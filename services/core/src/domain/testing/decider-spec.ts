import type { DomainEvent } from '@flywheel/schemas';
import { expect } from 'vitest';
import { InvalidTransitionError } from '../../errors/errors';
import type { Evolver } from '../../event-store/command-handler';
import type { DecideContext } from '../decide-context';

/** An aggregate as the tests see it: its decide function and its evolver. */
export interface Decider<C, S, E extends DomainEvent> {
  readonly decide: (command: C, state: S, ctx: DecideContext) => readonly E[];
  readonly evolver: Evolver<S, E>;
}

/** The clock of tests that do not care about time. */
export const SPEC_NOW = new Date('2030-01-01T12:00:00.000Z');

/** Folds `events` onto `state` (from the initial state when omitted). */
export function fold<S, E extends DomainEvent>(evolver: Evolver<S, E>, events: readonly E[], state?: S): S {
  return events.reduce(evolver.evolve, state ?? evolver.initialState());
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The outcome half of a given/when/then specification. */
export interface ThenClause<E> {
  /** The command emits exactly `events`; they fold onto the given state, matching `state` when given. */
  thenEmits(events: readonly E[], state?: Record<string, unknown>): void;
  /** The command is accepted and emits nothing (a no-op). */
  thenEmitsNothing(): void;
  /** The state after folding the emitted events matches `state`. */
  thenState(state: Record<string, unknown>): void;
  /** The command is an `InvalidTransitionError` whose message matches and whose details carry the status. */
  thenRejects(message: RegExp): void;
  /** The command throws an error of `errorClass` whose message matches. */
  thenThrows(errorClass: ErrorClass, message: RegExp): void;
}

/**
 * Given/when/then for a decider, in the spirit of Emmett's `DeciderSpecification`:
 * `spec.given([events]).when(command).thenEmits([events])` or `.thenRejects(/message/)`.
 */
export function deciderSpec<C, S extends { readonly status: string }, E extends DomainEvent>(
  decider: Decider<C, S, E>,
) {
  return {
    given(events: readonly E[]) {
      return {
        when(command: C, ctx: DecideContext = { now: SPEC_NOW }): ThenClause<E> {
          const given = fold(decider.evolver, events);
          const run = () => decider.decide(command, given, ctx);
          const caught = (): unknown => {
            try {
              run();
            } catch (err) {
              return err;
            }
            throw new Error(`expected ${JSON.stringify(command)} to be refused, but it was accepted`);
          };
          return {
            thenEmits(expected, state) {
              const emitted = run();
              expect(emitted).toEqual(expected);
              const after = fold(decider.evolver, emitted, given);
              if (state) expect(after).toMatchObject(state);
            },
            thenEmitsNothing() {
              expect(run()).toEqual([]);
            },
            thenState(state) {
              const after = fold(decider.evolver, run(), given);
              expect(after).toMatchObject(state);
            },
            thenRejects(message) {
              const err = caught();
              expect(err).toBeInstanceOf(InvalidTransitionError);
              const rejection = err as InvalidTransitionError;
              expect(rejection.message).toMatch(message);
              expect(rejection.details).toMatchObject({ status: given.status });
            },
            thenThrows(errorClass, message) {
              const err = caught();
              expect(err).toBeInstanceOf(errorClass);
              expect((err as Error).message).toMatch(message);
            },
          };
        },
      };
    },
  };
}
