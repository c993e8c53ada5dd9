import type { Logger, NatsHandle } from '@flywheel/core';
import { projectionConsumerName } from '@flywheel/core';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type pg from 'pg';
import { deadLetterStatement, readStatements, viewOf, writeStatements } from '../engine/batch-sql';
import { CHECKPOINT_MOVED, openBatch, readCheckpoint } from '../engine/checkpoints';
import { type Decoded, deadLetterPayload, type RawMessage } from '../engine/decode';
import { type DeadLetter, foldBatch, keysToRead } from '../engine/fold';
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Outcome = 'committed' | 'moved';

/**
 * Runs one projection: pulls its durable consumer, applies whatever has arrived as one
 * batch (natural batching: one message when idle, up to MAX_BATCH under load), commits
 * rows and checkpoint in one transaction, then acks. The checkpoint compare-and-set and
 * the sequence filter make redelivery, a second projector or a replay swap harmless.
 */
export class ProjectionRunner {
  private checkpoint = 0;
  private readonly queue: JsMsg[] = [];
  private messages: ConsumerMessages | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly logger: Logger;
  private readonly durable: string;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly feed: Feed<AnyMessage>,
  ) {
    this.durable = projectionConsumerName(feed.projection.name);
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
    await this.messages?.close();
    this.wake?.();
    await this.loop;
  }

  private async subscribe(force: boolean): Promise<void> {
    await this.messages?.close();
    this.queue.length = 0;
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
  }

  /**
   * The messages of `taken` not yet applied, in order, up to the first gap that is not
   * explained by deleted or expired messages; `lost` says such a gap was found.
   */
  private async pending(taken: readonly JsMsg[]): Promise<{ fresh: JsMsg[]; lost: boolean }> {
    const fresh: JsMsg[] = [];
    let expected = this.checkpoint + 1;
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
    const refusals = new Map<number, Error[]>();
    for (let failures = 0; !this.stopped; ) {
      const remaining = decoded.filter((d) => d.seq > this.checkpoint);
      if (remaining.length === 0) break;
      // After Postgres refused a batch, go one message at a time to find the one it refuses.
      const batch = isolating ? remaining.slice(0, 1) : remaining;
      const refused = refusals.get(batch[0]!.seq) ?? [];
      const letters =
        isolating && refused.length >= MAX_WRITE_ATTEMPTS ? [this.refusedLetter(batch[0]!, refused)] : [];
      try {
        if ((await this.commit(batch, letters)) === 'moved') {
          // Someone else moved the checkpoint (a replay swap): re-read it and keep what is ahead.
          const expected = this.checkpoint;
          this.checkpoint = await this.readCheckpoint();
          if (this.checkpoint < expected) {
            // Behind what was applied and acked: the database lost commits (a crash, a restore).
            this.logger.warn({ expected, checkpoint: this.checkpoint }, 'checkpoint went back; re-reading');
            await this.subscribe(true);
            return;
          }
        }
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
    (fresh.at(-1) ?? (lost ? undefined : taken.at(-1)))?.ack();
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
   * Applies a batch in one transaction, sent as at most two multi-statement queries: open
   * (lock, checkpoint compare-and-set) and read the rows the batch needs; fold; write and
   * commit. A batch that reads nothing is one query. A moved checkpoint fails the batch
   * before any write (FW001).
   */
  private async commit(
    batch: readonly Decoded<AnyMessage>[],
    forced: readonly DeadLetter[] = [],
  ): Promise<Outcome> {
    const last = batch.at(-1)!.seq;
    const { projection } = this.feed;
    const dead = new Set(forced.map((l) => l.streamSeq));
    const live = batch.filter((d) => !dead.has(d.seq));
    const open = openBatch(this.name, this.checkpoint, last);
    const reads = readStatements(projection, keysToRead(projection, live));
    const client = await this.deps.pool.connect();
    let broken: Error | undefined;
    try {
      let base: RowView = NOTHING_READ;
      const statements = [open];
      if (reads.sql.length > 0) {
        const results = await client.query([open, ...reads.sql].join(';\n'));
        base = viewOf(
          reads.tables,
          (results as unknown as pg.QueryResult<Row>[]).slice(-reads.sql.length).map((r) => r.rows),
        );
        statements.length = 0;
      }
      const fold = foldBatch(projection, live, base, (t, r) => checkRow(this.deps.catalog, t, r));
      const letters = [...fold.deadLetters, ...forced];
      statements.push(...writeStatements(this.deps.catalog, projection, fold));
      const lettered = deadLetterStatement(letters);
      if (lettered !== null) statements.push(lettered);
      statements.push('commit');
      await client.query(statements.join(';\n'));
      this.checkpoint = last;
      for (const l of letters) {
        this.logger.warn({ seq: l.streamSeq, type: l.eventType, error: l.error }, 'message dead-lettered');
      }
      return 'committed';
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      if ((err as { code?: string }).code === CHECKPOINT_MOVED) return 'moved';
      broken = err as Error;
      throw err;
    } finally {
      client.release(
        broken !== undefined && classifyWriteFailure(broken) === 'transient' ? broken : undefined,
      );
    }
  }
}
