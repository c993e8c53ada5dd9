import {
  createEventStore,
  type Database,
  driverFor,
  type Logger,
  type NatsHandle,
  type ProviderDriver,
  type Topology,
} from '@flywheel/core';
import type { Provider } from '@flywheel/schemas';
import type { Kysely } from 'kysely';
import { createCommander } from './adapters/commander';
import { startEventConsumer, waitForCheckpoint } from './adapters/event-consumer';
import { listenForHeartbeats } from './adapters/heartbeat-listener';
import { startLoop } from './adapters/loop';
import { DEFAULT_TIMINGS, type DispatchTimings } from './domain/timer-rules';
import { dispatchPass } from './handlers/dispatch-pass';
import { type CredentialSource, timerPass } from './handlers/timer-pass';

export interface DispatcherDeps {
  readonly nats: NatsHandle;
  readonly db: Kysely<Database>;
  readonly topology: Topology;
  readonly logger: Logger;
  /** The vault (`createVault`), for verifying accounts. */
  readonly credentials: CredentialSource;
  readonly timings?: Partial<DispatchTimings>;
  readonly driverFor?: (provider: Provider) => ProviderDriver;
  readonly clock?: () => Date;
}

export interface Dispatcher {
  /** Stops consuming, dispatching and firing timers; in-flight work finishes first. */
  stop(): Promise<void>;
}

/** A safety net: every loop also runs this often without being nudged (another replica's events). */
const IDLE_MS = 1000;

/**
 * Starts the dispatcher: the EVENTS consumer that keeps its tables, the dispatch loop that
 * assigns queued sessions, the timer loop, and the heartbeat listener. Dispatching and timers
 * wait until the tables have caught up with the stream as it was at start, so a restarted
 * dispatcher never acts on the state it had before it went down.
 */
export async function startDispatcher(deps: DispatcherDeps): Promise<Dispatcher> {
  const { nats, db, topology, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const timings: DispatchTimings = { ...DEFAULT_TIMINGS, ...deps.timings };
  const store = createEventStore(nats, topology);
  const commander = createCommander(store, clock);
  const shared = { db, nats, topology, store, commander, logger, clock };

  const head = (await nats.jsm.streams.info(topology.events.stream)).state.last_seq;
  const abort = new AbortController();
  let caughtUp = false;
  const catchingUp = waitForCheckpoint(db, head, abort.signal).then(() => {
    caughtUp = true;
    logger.info({ seq: head }, 'dispatcher caught up with EVENTS');
  });

  const dispatch = startLoop('dispatch pass', logger, IDLE_MS, async () => {
    if (!caughtUp) return 100;
    return (await dispatchPass(shared)) ? 0 : undefined;
  });
  const timerDeps = {
    ...shared,
    timings,
    credentials: deps.credentials,
    driverFor: deps.driverFor ?? ((p: Provider) => driverFor(p)),
  };
  const timers = startLoop('timer pass', logger, IDLE_MS, async () => {
    if (!caughtUp) return 100;
    return timerPass(timerDeps);
  });
  const consumer = startEventConsumer({
    nats,
    db,
    topology,
    logger,
    timings,
    clock,
    onApplied: (changes) => {
      dispatch.nudge();
      if (changes.some((c) => c.op === 'timer.set')) timers.nudge();
    },
  });
  const heartbeats = listenForHeartbeats({
    nats,
    topology,
    db,
    logger,
    timings,
    clock,
    onHeartbeat: () => dispatch.nudge(),
  });

  return {
    async stop() {
      abort.abort();
      await heartbeats.stop();
      await consumer.stop();
      await Promise.all([dispatch.stop(), timers.stop(), catchingUp]);
    },
  };
}
