import {
  type AppendOptions,
  type CommandResult,
  type EventStore,
  type Evolver,
  handleCommand,
  InvalidTransitionError,
  NotFoundError,
  type StreamRef,
  VersionConflictError,
} from '@flywheel/core';
import type { DomainEvent } from '@flywheel/schemas';

/** An aggregate's state folded from its stream, with the stream's version. */
export interface LoadedState<S> {
  readonly state: S;
  readonly version: number;
}

const notFound = (ref: StreamRef, cause?: unknown) =>
  new NotFoundError(`${ref.type} ${ref.id} does not exist`, { cause });

/** Loads and folds one aggregate; `NotFoundError` when it has no events (or is another workspace's). */
export async function loadState<S, E extends DomainEvent>(
  store: EventStore,
  ref: StreamRef,
  evolver: Evolver<S, E>,
): Promise<LoadedState<S>> {
  const loaded = await store.load<E>(ref);
  if (loaded.version === 0) throw notFound(ref);
  let state = evolver.initialState();
  for (const e of loaded.events) state = evolver.evolve(state, e as unknown as E);
  return { state, version: loaded.version };
}

/**
 * The result of a command that already committed under this command id: a retry after a
 * crash, or after JetStream's 2-minute dedupe window, answers what the first run did
 * instead of a conflict. Null when the command never committed.
 */
async function committedEarlier<S, E extends DomainEvent>(
  store: EventStore,
  ref: StreamRef,
  evolver: Evolver<S, E>,
  commandId: string,
): Promise<CommandResult<S, E> | null> {
  const loaded = await store.load<E>(ref);
  const own = loaded.events.find((e) => e.id.startsWith(`${commandId}.`));
  if (!own) return null;
  let state = evolver.initialState();
  const events: E[] = [];
  for (const e of loaded.events) {
    if (e.seq > own.seq) break;
    const event = { type: e.type, data: e.data } as unknown as E;
    state = evolver.evolve(state, event);
    if (e.seq === own.seq) events.push(event);
  }
  return { state, events, version: own.seq, duplicate: true };
}

/**
 * Runs one command: `update` loads, decides and appends with retries (`handleCommand`);
 * `create` skips the load (a new id has no events) and appends at version 0. Either way a
 * conflict or rejection caused by this very command having committed before is answered
 * with that commit.
 */
export async function executeCommand<S, E extends DomainEvent>(
  store: EventStore,
  ref: StreamRef,
  evolver: Evolver<S, E>,
  decide: (state: S) => readonly E[],
  opts: AppendOptions,
  mode: 'create' | 'update',
): Promise<CommandResult<S, E>> {
  try {
    if (mode === 'update') return await handleCommand(store, ref, evolver, decide, opts);
    const initial = evolver.initialState();
    const events = decide(initial);
    const appended = await store.append(ref, 0, events, opts);
    return {
      state: events.reduce(evolver.evolve, initial),
      events,
      version: appended.version,
      duplicate: appended.duplicate,
    };
  } catch (err) {
    // The decider cannot know the id; say which one, as reads do, so every 404 reads alike.
    if (err instanceof NotFoundError) throw notFound(ref, err);
    if (!(err instanceof VersionConflictError || err instanceof InvalidTransitionError)) throw err;
    const earlier = await committedEarlier(store, ref, evolver, opts.commandId);
    if (earlier) return earlier;
    throw err;
  }
}
