import type { NatsHandle } from '@flywheel/core';
import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import type { RawMessage } from '../engine/decode';

/** Messages buffered ahead of the replay: large, so reading overlaps folding and writing. */
const BUFFER = 8192;
/** After the stream said nothing was pending, how long to wait for one more message. */
const IDLE_MS = 1000;
const IDLE = Symbol('idle');

/**
 * Reads a whole stream in order from its first message with an ordered consumer (no
 * server-side state left behind, recreated by the client on any gap), in chunks.
 */
export class StreamReader {
  private iterator: AsyncIterator<JsMsg> | null = null;
  private waiting: Promise<IteratorResult<JsMsg>> | null = null;
  private close: (() => void) | null = null;
  /** Sequence of the last message handed out (0 before the first). */
  lastSeq = 0;
  /** The stream had nothing pending after the last message handed out. */
  private drained = false;

  constructor(
    private readonly nats: NatsHandle,
    readonly stream: string,
  ) {}

  /** The stream's first and last sequence right now. */
  async bounds(): Promise<{ readonly first: number; readonly last: number }> {
    try {
      const info = await this.nats.jsm.streams.info(this.stream);
      return { first: info.state.first_seq, last: info.state.last_seq };
    } catch (err) {
      if ((err as Error).name !== 'StreamNotFoundError') throw err;
      throw new Error(
        `stream ${this.stream} does not exist on this NATS server, so there is nothing to replay: check NATS_URL and STREAM_PREFIX, or start the stack once (make up) to create it`,
        { cause: err },
      );
    }
  }

  /**
   * Up to `max` messages, none past `upTo`. Returns fewer (or none) when the stream holds
   * nothing more up to `upTo` (messages deleted or expired at its end).
   */
  async read(upTo: number, max: number): Promise<RawMessage[]> {
    const out: RawMessage[] = [];
    if (this.lastSeq >= upTo) return out;
    if (this.iterator === null) {
      const consumer = await this.nats.js.consumers.get(this.stream, { deliver_policy: DeliverPolicy.All });
      const messages = await consumer.consume({ max_messages: BUFFER });
      this.iterator = messages[Symbol.asyncIterator]();
      // Not `close()`: it resolves only once the iterator is drained, and replay stops mid-stream.
      this.close = () => messages.stop();
    }
    while (out.length < max && this.lastSeq < upTo) {
      this.waiting ??= this.iterator.next();
      let timer: NodeJS.Timeout | undefined;
      const next = this.drained
        ? await Promise.race([
            this.waiting,
            new Promise<typeof IDLE>((r) => (timer = setTimeout(r, IDLE_MS, IDLE))),
          ])
        : await this.waiting;
      clearTimeout(timer);
      if (next === IDLE) break; // keep `waiting` for the next call: that message is not lost
      this.waiting = null;
      if (next.done) throw new Error(`reading ${this.stream} stopped unexpectedly`);
      const m = next.value;
      out.push({ seq: m.seq, subject: m.subject, data: m.data });
      this.lastSeq = m.seq;
      this.drained = m.info.pending === 0;
    }
    return out;
  }

  stop(): void {
    this.close?.();
  }
}
