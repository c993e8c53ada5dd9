import {
  type Actor,
  type AggregateType,
  aggregateOf,
  type Commit,
  currentVersion,
  type DomainEvent,
  type EventEnvelope,
  EventSchemaError,
  upcastEventData,
  validateEventData,
} from '@flywheel/schemas';
import { FifoCache } from '../cache/fifo-cache';
import { InfrastructureError, ValidationError, VersionConflictError } from '../errors/errors';
import type { NatsHandle } from '../nats/connect';
import { PublishMux, PublishRefusedError, type StoreAck } from './publish-mux';
import type { Topology } from './topology';

/** Identifies one aggregate's event stream within a workspace. */
export interface StreamRef {
  readonly workspace: string;
  readonly type: AggregateType;
  readonly id: string;
}

/** Who issued the command and how it ties to the requests around it. */
export interface AppendOptions {
  /** Becomes `Nats-Msg-Id`: a retried command id is stored once. */
  readonly commandId: string;
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly now: Date;
}

export interface AppendResult {
  /** The stream sequence of the commit: the aggregate's new version. */
  readonly version: number;
  /** True when JetStream recognised the command id and stored nothing new. */
  readonly duplicate: boolean;
  readonly events: readonly EventEnvelope[];
}

/** A stored event with the stream sequence of the commit it came in. */
export type StoredEvent<E extends DomainEvent = DomainEvent> = EventEnvelope<E['data']> & {
  readonly type: E['type'];
  readonly seq: number;
};

export interface LoadedStream<E extends DomainEvent = DomainEvent> {
  readonly events: readonly StoredEvent<E>[];
  /** Stream sequence of the last commit, 0 when the aggregate has none. */
  readonly version: number;
}

/** Event store over the `EVENTS` stream: append with optimistic concurrency, load by aggregate. */
export interface EventStore {
  append(
    ref: StreamRef,
    expectedVersion: number,
    events: readonly DomainEvent[],
    opts: AppendOptions,
  ): Promise<AppendResult>;
  load<E extends DomainEvent = DomainEvent>(ref: StreamRef): Promise<LoadedStream<E>>;
  /** The aggregate's current version without reading its events (0 when it has none). */
  version(ref: StreamRef): Promise<number>;
}

/** Builds envelopes for one commit, validating every event's data against its schema first. */
export function buildCommit(ref: StreamRef, events: readonly DomainEvent[], opts: AppendOptions): Commit {
  const at = opts.now.toISOString();
  const envelopes = events.map((e, i): EventEnvelope => {
    let data: unknown;
    try {
      data = validateEventData(e.type, e.data);
    } catch (err) {
      if (err instanceof EventSchemaError) {
        throw new ValidationError(`event ${i} (${e.type}) is malformed: ${err.message}`, {
          cause: err,
          details: { issues: err.issues.map((issue) => ({ ...issue, path: `events.${i}.${issue.path}` })) },
        });
      }
      throw err;
    }
    if (aggregateOf(e.type) !== ref.type) {
      throw new ValidationError(`event ${e.type} does not belong to a ${ref.type}`, {
        details: { issues: [{ path: `events.${i}.type`, message: `not a ${ref.type} event` }] },
      });
    }
    return {
      id: `${opts.commandId}.${i}`,
      type: e.type,
      version: currentVersion(e.type),
      aggregate: { type: ref.type, id: ref.id },
      workspace: ref.workspace,
      at,
      actor: opts.actor,
      causationId: opts.causationId ?? opts.commandId,
      correlationId: opts.correlationId,
      data,
    };
  });
  return { commandId: opts.commandId, events: envelopes };
}

/** Decodes a stored commit and upcasts each event to its current version. */
export function readCommit(seq: number, payload: Uint8Array | string): StoredEvent[] {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  const commit = JSON.parse(text) as Commit;
  return commit.events.map(
    (e) =>
      ({ ...e, data: upcastEventData(e.type as DomainEvent['type'], e.version, e.data), seq }) as StoredEvent,
  );
}

/** JetStream's codes for an expected-last-sequence mismatch. */
const WRONG_LAST_SEQUENCE = new Set([10071, 10164]);

function isWrongLastSequence(err: unknown): boolean {
  return err instanceof PublishRefusedError && WRONG_LAST_SEQUENCE.has(err.errCode);
}

export interface EventStoreOptions {
  /** Aggregates whose events are kept in memory between loads (0 turns the cache off). */
  readonly cacheSize?: number;
}

interface Cached {
  readonly events: readonly StoredEvent[];
  readonly version: number;
}

/**
 * Creates the JetStream-backed event store.
 *
 * Loads are served from a bounded in-process cache of recent aggregates: one cheap
 * last-by-subject read confirms the cached version, and only commits after it are
 * fetched. The cache is an optimisation only: every append is still checked by JetStream
 * against the expected version, so a stale entry can cost a retry, never a lost update.
 */
export function createEventStore(
  nats: NatsHandle,
  topology: Topology,
  opts: EventStoreOptions = {},
): EventStore {
  const stream = topology.events.stream;
  const publisher = new PublishMux(nats.nc);
  const cacheSize = opts.cacheSize ?? 10_000;
  // First in, first out: an aggregate is loaded again at worst, never wrong (see `lastSeq`).
  const cache = new FifoCache<string, Cached>(Math.max(1, cacheSize));
  const remember = (subject: string, entry: Cached) => {
    if (cacheSize > 0) cache.set(subject, entry);
  };

  const lastSeq = async (subject: string) =>
    (await nats.jsm.direct.getMessage(stream, { last_by_subj: subject }))?.seq ?? 0;

  return {
    async append(ref, expectedVersion, events, opts) {
      if (events.length === 0) throw new ValidationError('a commit needs at least one event');
      const commit = buildCommit(ref, events, opts);
      const subject = topology.eventSubject(ref.workspace, ref.type, ref.id);
      let ack: StoreAck;
      try {
        ack = await publisher.publish(subject, JSON.stringify(commit), opts.commandId, expectedVersion);
      } catch (err) {
        if (isWrongLastSequence(err))
          throw new VersionConflictError(subject, expectedVersion, { cause: err });
        throw new InfrastructureError(`append to ${subject} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      // Extend a cached aggregate with what we just wrote when the cache held exactly the
      // version this commit followed. New aggregates are not cached here: creating them is
      // the hot path, and most are next loaded by another process anyway.
      const known = cache.get(subject);
      if (known !== undefined) {
        if (!ack.duplicate && known.version === expectedVersion) {
          const stored = commit.events.map((e) => ({ ...e, seq: ack.seq }) as StoredEvent);
          remember(subject, { events: [...known.events, ...stored], version: ack.seq });
        } else {
          cache.delete(subject);
        }
      }
      return { version: ack.seq, duplicate: ack.duplicate, events: commit.events };
    },

    async load<E extends DomainEvent>(ref: StreamRef): Promise<LoadedStream<E>> {
      const subject = topology.eventSubject(ref.workspace, ref.type, ref.id);
      let known = cache.get(subject);
      if (known !== undefined) {
        const latest = await lastSeq(subject);
        if (latest === known.version) return known as unknown as LoadedStream<E>;
        // Behind the cache means the stream was reset under us: start over.
        if (latest < known.version) known = undefined;
      }
      const events: StoredEvent[] = [...(known?.events ?? [])];
      let version = known?.version ?? 0;
      // Direct get walks the aggregate's subject message by message from where the cache
      // ends; aggregates hold a handful of commits, so this beats a consumer per load.
      for (let next = version + 1; ; ) {
        const msg = await nats.jsm.direct.getMessage(stream, { seq: next, next_by_subj: subject });
        if (msg === null) break;
        events.push(...readCommit(msg.seq, msg.data));
        version = msg.seq;
        next = msg.seq + 1;
      }
      if (version > 0) remember(subject, { events, version });
      return { events: events as unknown as StoredEvent<E>[], version };
    },

    version: (ref) => lastSeq(topology.eventSubject(ref.workspace, ref.type, ref.id)),
  };
}
