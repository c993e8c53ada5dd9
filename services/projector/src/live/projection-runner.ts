import type { Logger, NatsHandle } from '@flywheel/core';
import { projectionConsumerName } from '@flywheel/core';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type pg from 'pg';
import {
  CREATED_EXISTED,
  deadLetterStatement,
  readStatements,
  viewOf,
  writeStatements,
} from '../engine/batch-sql';
import { CHECKPOINT_MOVED, openBatch, readCheckpoint } from '../engine/checkpoints';
import { type Decoded, deadLetterPayload, type RawMessage } from '../engine/decode';
import { batchReads, type DeadLetter, derivedColumns, type FoldResult, foldBatch } from '../engine/fold';
import { classifyWriteFailure } from '../engine/pg-errors';
import { type Catalog, checkRow } from '../engine/table-catalog';
import type { AnyMessage, Feed } from '../projections';
import type { Row, RowView } from '../projections/projection';
import { MAX_ACK_PENDING, positionConsumer } from './durable-consumer';

export interface RunnerDeps {
  readonly pool: pg.Pool;
  readonly nats: NatsHandle;
  readonly catalog: Catalog;
  readonly logger: Logger;
  /** Called when the runner meets a bug it must not paper over; the process should exit. */
  readonly onFatal: (err: Error) => void;
  /** Decodes a message of the feed's stream (shared by the projections reading that stream). */
  readonly decode: (raw: RawMessage) => Decoded<AnyMessage>;
}

/** Most messages applied in one transaction. */
const MAX_BATCH = 500;
/** Tries for a message whose rows Postgres refuses, before it is dead-lettered. */
export const MAX_WRITE_ATTEMPTS = 3;
const NOTHING_READ: RowView = { get: () => undefined };
const changesNothing = (fold: FoldResult) =>
  fold.deadLetters.length === 0 &&
  [...fold.appends.values()].every((rows) => rows.length === 0) &&
  [...fold.state.values()].every((entries) => entries.size === 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How soon the checkpoint follows batches that changed nothing (see `settle`). */
const SETTLE_MS = 10;
/** How long an ack may wait to go with later ones (see `acknowledge`). */
const ACK_MS = 20;

/**
 * `skipped`: the batch changed no row, so nothing was written; its checkpoint waits for
 * `settle`. `existed`: a row it created unread was there after all; nothing was written.
 */
type Outcome = 'committed' | 'moved' | 'skipped' | 'existed';

/**
 * Runs one projection: pulls its durable consumer, applies whatever has arrived as one
 * batch (natural batching: one message when idle, up to MAX_BATCH under load), commits
 * rows and checkpoint in one transaction, then acks. The checkpoint compare-and-set and
 * the sequence filter make redelivery, a second projector or a replay swap harmless.
 */
export class ProjectionRunner {
  /** The checkpoint as committed. */
  private checkpoint = 0;
  /** The last sequence folded: the checkpoint, or past it by batches that changed nothing. */
  private folded = 0;
  /** The last message folded and not yet acked: acks follow the committed checkpoint. */
  private unacked: JsMsg | null = null;
  /** The last message committed and not yet acked; acks are sent at most every ACK_MS. */
  private ackable: JsMsg | null = null;
  private ackTimer: NodeJS.Timeout | null = null;
  private settleTimer: NodeJS.Timeout | null = null;
  private settleDue = false;
  private readonly queue: JsMsg[] = [];
  private messages: ConsumerMessages | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly logger: Logger;
  private readonly durable: string;
  private readonly derived: Map<string, string>;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly feed: Feed<AnyMessage>,
  ) {
    this.durable = projectionConsumerName(feed.projection.name);
    this.derived = derivedColumns(feed.projection);
    this.logger = deps.logger.child({ projection: feed.projection.name });
  }

  get name() {
    return this.feed.projection.name;
  }

  /** Positions the consumer at the checkpoint and starts applying. */
  async start(): Promise<void> {
    const client = await this.deps.pool.connect();
    try {
      this.checkpoint = await readCheckpoint(client, this.name);
    } finally {
      client.release();
    }
    await this.subscribe(false);
    this.loop = this.run().catch((err: Error) => this.deps.onFatal(err));
    this.logger.info({ checkpoint: this.checkpoint }, 'projection started');
  }

  /** Stops pulling and waits for the batch in flight to commit. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    await this.messages?.close();
    this.wake?.();
    await this.loop;
  }

  private async subscribe(force: boolean): Promise<void> {
    await this.messages?.close();
    this.queue.length = 0;
    this.folded = this.checkpoint;
    this.unacked = null;
    this.ackable = null;
    await positionConsumer(
      this.deps.nats.jsm,
      this.feed.stream,
      this.durable,
      this.checkpoint,
      this.logger,
      force,
    );
    const consumer = await this.deps.nats.js.consumers.get(this.feed.stream, this.durable);
    const messages = await consumer.consume({ max_messages: Math.min(1000, MAX_ACK_PENDING) });
    this.messages = messages;
    void (async () => {
      for await (const m of messages) {
        this.queue.push(m);
        this.wake?.();
      }
    })();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.settleDue) {
        this.settleDue = false;
        await this.settle();
        continue;
      }
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      const taken = this.queue.splice(0, MAX_BATCH);
      await this.process(taken);
    }
    // Stopping: commit what batches that changed nothing have folded, or they are delivered again.
    await this.settle().catch((err: Error) =>
      this.logger.warn({ err }, 'could not commit the checkpoint while stopping'),
    );
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.sendAck();
  }

  /**
   * Commits the checkpoint over batches that changed nothing, then acks them. Most
   * messages change nothing in some projections (a session's events in the agents model):
   * a transaction for each would be most of Postgres's work under load, so their
   * checkpoint follows within SETTLE_MS, or with the next batch that writes.
   */
  private async settle(): Promise<void> {
    if (this.folded > this.checkpoint) {
      try {
        const outcome = await this.commit(this.folded, []);
        if (outcome === 'moved' && (this.stopped || !(await this.reread()))) return;
      } catch (err) {
        if (classifyWriteFailure(err) === 'bug') throw err;
        this.logger.warn({ err }, 'could not commit the checkpoint; trying again');
        this.scheduleSettle();
        return;
      }
    }
    this.acknowledge();
  }

  private scheduleSettle(): void {
    this.settleTimer ??= setTimeout(() => {
      this.settleTimer = null;
      this.settleDue = true;
      this.wake?.();
    }, SETTLE_MS);
  }

  /**
   * Acks the last message folded once its checkpoint is committed (acks are cumulative),
   * within ACK_MS: each ack is a write that wakes NATS, and under load a batch commits
   * every millisecond or two. A late ack costs nothing: start-up positions the consumer
   * at the Postgres checkpoint, and redeliveries are skipped by sequence.
   */
  private acknowledge(): void {
    if (this.folded > this.checkpoint) {
      this.scheduleSettle();
    } else if (this.unacked !== null) {
      this.ackable = this.unacked;
      this.unacked = null;
    }
    if (this.ackable === null) return;
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = null;
      this.sendAck();
    }, ACK_MS);
  }

  private sendAck(): void {
    this.ackable?.ack();
    this.ackable = null;
  }

  /** After the checkpoint moved under a batch: false when it went back and reading starts over. */
  private async reread(): Promise<boolean> {
    const expected = this.checkpoint;
    this.checkpoint = await this.readCheckpoint();
    if (this.checkpoint < expected) {
      // Behind what was applied and acked: the database lost commits (a crash, a restore).
      this.logger.warn({ expected, checkpoint: this.checkpoint }, 'checkpoint went back; re-reading');
      await this.subscribe(true);
      return false;
    }
    // Ahead: another writer (a replay swap) applied up to there. What was folded past it changed nothing.
    this.folded = Math.max(this.folded, this.checkpoint);
    return true;
  }

  /**
   * The messages of `taken` not yet applied, in order, up to the first gap that is not
   * explained by deleted or expired messages; `lost` says such a gap was found.
   */
  private async pending(taken: readonly JsMsg[]): Promise<{ fresh: JsMsg[]; lost: boolean }> {
    const fresh: JsMsg[] = [];
    let expected = this.folded + 1;
    for (const m of taken) {
      if (m.seq < expected) continue; // redelivered, or applied before a restart
      if (m.seq > expected && !(await this.skippable(expected, m.seq))) return { fresh, lost: true };
      fresh.push(m);
      expected = m.seq + 1;
    }
    return { fresh, lost: false };
  }

  /** True when no message exists in [from, to): deleted or expired, not lost in delivery. */
  private async skippable(from: number, to: number): Promise<boolean> {
    const next = await this.deps.nats.jsm.direct.getMessage(this.feed.stream, {
      seq: from,
      next_by_subj: this.feed.subjects,
    });
    return next === null || next.seq >= to;
  }

  private async process(taken: readonly JsMsg[]): Promise<void> {
    const { fresh, lost } = await this.pending(taken);
    const decoded = fresh.map((m) => this.deps.decode({ seq: m.seq, subject: m.subject, data: m.data }));
    let isolating = false;
    let assumeCreated = true;
    const refusals = new Map<number, Error[]>();
    for (let failures = 0; !this.stopped; ) {
      const remaining = decoded.filter((d) => d.seq > this.folded);
      if (remaining.length === 0) break;
      // After Postgres refused a batch, go one message at a time to find the one it refuses.
      const batch = isolating ? remaining.slice(0, 1) : remaining;
      const refused = refusals.get(batch[0]!.seq) ?? [];
      const letters =
        isolating && refused.length >= MAX_WRITE_ATTEMPTS ? [this.refusedLetter(batch[0]!, refused)] : [];
      try {
        const outcome = await this.commit(batch.at(-1)!.seq, batch, letters, assumeCreated);
        // Someone else moved the checkpoint (a replay swap): re-read it and keep what is ahead.
        if (outcome === 'moved' && !(await this.reread())) return;
        // Apply the batch again, reading every row first.
        if (outcome === 'existed') assumeCreated = false;
        failures = 0;
      } catch (err) {
        const kind = classifyWriteFailure(err);
        if (kind === 'bug') throw err;
        if (kind === 'data') {
          if (isolating) refusals.set(batch[0]!.seq, [...refused, err as Error]);
          isolating = true;
          continue;
        }
        failures++;
        this.logger.error({ err, failures }, 'projection write failed; retrying');
        await sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
    if (this.stopped) return;
    const last = fresh.at(-1) ?? (lost ? undefined : taken.at(-1));
    if (last !== undefined && (this.unacked === null || last.seq > this.unacked.seq)) this.unacked = last;
    this.acknowledge();
    if (lost) {
      // A delivered message went missing (a reconnect dropped it): start again from the checkpoint.
      this.logger.warn({ checkpoint: this.checkpoint }, 'gap in delivery; re-reading from the checkpoint');
      await this.subscribe(true);
    }
  }

  private refusedLetter(d: Decoded<AnyMessage>, errors: readonly Error[]): DeadLetter {
    return {
      projection: this.name,
      streamSeq: d.seq,
      eventType:
        'message' in d && 'events' in d.message ? (d.message.events[0]?.type ?? 'commit') : 'OutputChunk',
      error: `Postgres refused its rows ${errors.length} times: ${errors.at(-1)!.message}`,
      payload: deadLetterPayload(d.raw),
    };
  }

  private async readCheckpoint(): Promise<number> {
    const client = await this.deps.pool.connect();
    try {
      return await readCheckpoint(client, this.name);
    } finally {
      client.release();
    }
  }

  /**
   * Applies a batch (none: only moves the checkpoint) and moves the checkpoint to `to`, in
   * one transaction sent as at most two multi-statement queries: open (lock, checkpoint
   * compare-and-set) and read the rows the batch needs; fold; write and commit. A batch that
   * reads nothing is one query, and one that changes nothing is not sent (`skipped`). With
   * `assumeCreated`, rows the batch creates are not read (a burst of new sessions is one
   * query); if one existed, nothing is written (`existed`) and the caller reads next time. A
   * moved checkpoint fails the transaction before any write (FW001).
   */
  private async commit(
    to: number,
    batch: readonly Decoded<AnyMessage>[],
    forced: readonly DeadLetter[] = [],
    assumeCreated = false,
  ): Promise<Outcome> {
    const { projection } = this.feed;
    const dead = new Set(forced.map((l) => l.streamSeq));
    const live = batch.filter((d) => !dead.has(d.seq));
    const check = (t: string, r: Row) => checkRow(this.deps.catalog, t, r, this.derived.get(t));
    const { read, created } = batchReads(projection, live, assumeCreated);
    const reads = readStatements(projection, read);
    let fold = reads.sql.length === 0 ? foldBatch(projection, live, NOTHING_READ, check) : null;
    if (batch.length > 0 && forced.length === 0 && fold !== null && changesNothing(fold)) {
      this.folded = to;
      return 'skipped';
    }
    const open = openBatch(this.name, this.checkpoint, to);
    const client = await this.deps.pool.connect();
    let broken: Error | undefined;
    try {
      const statements = [open];
      if (fold === null) {
        const base = viewOf(reads, await client.query<Row>([open, ...reads.sql].join(';\n')));
        statements.length = 0;
        fold = foldBatch(projection, live, base, check);
      }
      const letters = [...fold.deadLetters, ...forced];
      statements.push(...writeStatements(this.deps.catalog, projection, fold, created));
      const lettered = deadLetterStatement(letters);
      if (lettered !== null) statements.push(lettered);
      statements.push('commit');
      await client.query(statements.join(';\n'));
      this.checkpoint = to;
      this.folded = Math.max(this.folded, to);
      for (const l of letters) {
        this.logger.warn({ seq: l.streamSeq, type: l.eventType, error: l.error }, 'message dead-lettered');
      }
      return 'committed';
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      const code = (err as { code?: string }).code;
      if (code === CHECKPOINT_MOVED) return 'moved';
      if (code === CREATED_EXISTED) return 'existed';
      broken = err as Error;
      throw err;
    } finally {
      client.release(
        broken !== undefined && classifyWriteFailure(broken) === 'transient' ? broken : undefined,
      );
    }
  }
}
