import type { DomainEvent } from '@flywheel/schemas';
import { VersionConflictError } from '../errors/errors';
import type { AppendOptions, EventStore, StreamRef } from './event-store';

/** The state half of an aggregate: how to start and how each event changes it. */
export interface Evolver<S, E extends DomainEvent> {
  initialState(): S;
  evolve(state: S, event: E): S;
}

export interface CommandResult<S, E extends DomainEvent> {
  readonly state: S;
  /** Events this command appended; empty when the decision was a no-op. */
  readonly events: readonly E[];
  /** Aggregate version after the command (stream sequence of its commit). */
  readonly version: number;
  readonly duplicate: boolean;
}

export interface RetryOptions {
  /** Total attempts including the first; the last conflict is rethrown. */
  readonly maxAttempts?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The decide-append loop: load the aggregate, fold its events, decide, append at the
 * loaded version; on a version conflict reload and decide again, a bounded number of
 * times, then let the `VersionConflictError` escape (the HTTP layer answers 409).
 * Errors thrown by `decide` (invalid transitions) are not retried.
 */
export async function handleCommand<S, E extends DomainEvent>(
  store: EventStore,
  ref: StreamRef,
  evolver: Evolver<S, E>,
  decide: (state: S) => readonly E[],
  opts: AppendOptions,
  retry: RetryOptions = {},
): Promise<CommandResult<S, E>> {
  const maxAttempts = retry.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const loaded = await store.load<E>(ref);
    let state = evolver.initialState();
    for (const e of loaded.events) state = evolver.evolve(state, e as unknown as E);
    const events = decide(state);
    if (events.length === 0) return { state, events, version: loaded.version, duplicate: false };
    try {
      const result = await store.append(ref, loaded.version, events, opts);
      for (const e of events) state = evolver.evolve(state, e);
      return { state, events, version: result.version, duplicate: result.duplicate };
    } catch (err) {
      if (!(err instanceof VersionConflictError) || attempt >= maxAttempts) throw err;
      // Jittered backoff keeps a crowd of writers from colliding again in lock-step.
      await sleep(Math.random() * 2 * attempt);
    }
  }
}
