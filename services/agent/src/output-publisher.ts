import {
  OUTPUT_CHUNK_MAX_BYTES,
  type OutputChunk,
  type OutputStream,
  outputChunkMsgId,
} from '@flywheel/schemas';

/** Stores one chunk in the OUTPUT stream and resolves once JetStream acknowledged it. */
export type PublishChunk = (subject: string, data: Uint8Array, msgId: string) => Promise<void>;

export interface OutputPublisherOptions {
  readonly publish: PublishChunk;
  /** `fw.output.<workspace>.<sessionId>` */
  readonly subject: string;
  readonly sessionId: string;
  readonly attempt: number;
  /** The seq of this attempt's first chunk: one past the last chunk any earlier attempt stored. */
  readonly firstSeq: number;
  /** A chunk is flushed this long after its first text at the latest. */
  readonly flushMs?: number;
  /** A chunk is flushed as soon as it holds this many UTF-8 bytes. */
  readonly maxBytes?: number;
  /** Tries per chunk before the output counts as lost. */
  readonly publishAttempts?: number;
  readonly now?: () => Date;
}

interface OpenChunk {
  readonly stream: OutputStream;
  readonly parts: string[];
  bytes: number;
  readonly at: Date;
}

const ENCODER = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The longest prefix of `text` that fits in `room` UTF-8 bytes without splitting a character,
 * the rest, and the prefix's size in bytes.
 */
function splitAtBytes(text: string, room: number): readonly [string, string, number] {
  // Most deltas fit whole: measure without encoding.
  const size = Buffer.byteLength(text, 'utf8');
  if (size <= room) return [text, '', size];
  const bytes = Buffer.from(text, 'utf8');
  let cut = room;
  // 0b10xxxxxx is a continuation byte: back up to the first byte of that character.
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return [bytes.subarray(0, cut).toString('utf8'), bytes.subarray(cut).toString('utf8'), cut];
}

/**
 * Turns a session's streamed text into OUTPUT chunks: batched (flushed after `flushMs` or at
 * `maxBytes`, whichever first), numbered gap-free from `firstSeq`, and stored one at a time
 * in seq order, each ack awaited. A chunk keeps its `Nats-Msg-Id` across retries, so a
 * retried publish whose first try was stored is not stored twice. Text written while a chunk
 * is in flight joins the next one, so a slow stream yields fewer, larger chunks.
 */
export class OutputPublisher {
  private readonly flushMs: number;
  private readonly maxBytes: number;
  private readonly publishAttempts: number;
  private readonly now: () => Date;
  private open: OpenChunk | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly sealed: OutputChunk[] = [];
  private pumping: Promise<void> | null = null;
  private nextSeq: number;
  private stored = 0;
  private failure: Error | null = null;

  constructor(private readonly opts: OutputPublisherOptions) {
    this.flushMs = opts.flushMs ?? 50;
    this.maxBytes = opts.maxBytes ?? OUTPUT_CHUNK_MAX_BYTES;
    this.publishAttempts = opts.publishAttempts ?? 8;
    this.now = opts.now ?? (() => new Date());
    this.nextSeq = opts.firstSeq;
    // A UTF-8 character takes up to 4 bytes; a smaller chunk could hold none.
    if (this.maxBytes < 4) throw new RangeError('maxBytes must be at least 4');
  }

  /** The seq of the last chunk stored, by this attempt or an earlier one (0 for none). */
  get lastSeq(): number {
    return this.opts.firstSeq - 1 + this.stored;
  }

  /** Buffers text; never blocks the driver that streams it. */
  write(stream: OutputStream, text: string): void {
    if (text === '' || this.failure !== null) return;
    if (this.open !== null && this.open.stream !== stream) this.seal();
    let rest = text;
    while (rest !== '') {
      const chunk = this.open ?? this.openChunk(stream);
      const [head, tail, headBytes] = splitAtBytes(rest, this.maxBytes - chunk.bytes);
      if (head === '') {
        // Not even one character fits in what is left of this chunk: start the next one.
        this.seal();
        continue;
      }
      chunk.parts.push(head);
      chunk.bytes += headBytes;
      rest = tail;
      if (chunk.bytes >= this.maxBytes || rest !== '') this.seal();
    }
  }

  /** Stores everything written so far; rejects if any chunk could not be stored. */
  async flush(): Promise<void> {
    this.seal();
    while (this.pumping !== null) await this.pumping;
    if (this.failure !== null) throw this.failure;
  }

  private openChunk(stream: OutputStream): OpenChunk {
    this.open = { stream, parts: [], bytes: 0, at: this.now() };
    this.timer = setTimeout(() => this.seal(), this.flushMs);
    return this.open;
  }

  private seal(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const chunk = this.open;
    this.open = null;
    if (chunk === null || chunk.bytes === 0 || this.failure !== null) return;
    this.sealed.push({
      seq: this.nextSeq++,
      stream: chunk.stream,
      text: chunk.parts.join(''),
      at: chunk.at.toISOString(),
    });
    this.kick();
  }

  /** Starts the one pump if it is idle; a chunk sealed while it winds down restarts it. */
  private kick(): void {
    if (this.pumping !== null) return;
    this.pumping = Promise.resolve()
      .then(() => this.pump())
      .finally(() => {
        this.pumping = null;
        if (this.sealed.length > 0) this.kick();
      });
  }

  private async pump(): Promise<void> {
    for (let chunk = this.sealed.shift(); chunk !== undefined; chunk = this.sealed.shift()) {
      try {
        await this.store(chunk);
        this.stored++;
      } catch (err) {
        // A later chunk stored without this one would leave a gap readers wait on forever,
        // so nothing after it is stored.
        this.failure = new Error(`output chunk ${chunk.seq} could not be stored: ${(err as Error).message}`, {
          cause: err,
        });
        this.sealed.length = 0;
      }
    }
  }

  private async store(chunk: OutputChunk): Promise<void> {
    const data = ENCODER.encode(JSON.stringify(chunk));
    const msgId = outputChunkMsgId(this.opts.sessionId, this.opts.attempt, chunk.seq);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.publish(this.opts.subject, data, msgId);
        return;
      } catch (err) {
        if (attempt >= this.publishAttempts) throw err;
        await sleep(Math.min(2_000, 50 * 2 ** attempt));
      }
    }
  }
}
