import { createInbox, headers, type NatsConnection } from '@nats-io/transport-node';

/** JetStream's answer to one publish, decoded. */
export interface StoreAck {
  readonly seq: number;
  readonly duplicate: boolean;
}

/** JetStream refused the message; `errCode` is its API error code (10071: wrong last sequence). */
export class PublishRefusedError extends Error {
  override readonly name = 'PublishRefusedError';
  constructor(
    message: string,
    readonly errCode: number,
  ) {
    super(message);
  }
}

interface Pending {
  readonly resolve: (ack: StoreAck) => void;
  readonly reject: (err: Error) => void;
  readonly deadline: number;
}

const DECODER = new TextDecoder();

/**
 * Publishes to JetStream and matches acks through one shared inbox subscription. The
 * client library's request path builds two Error objects per call (for stack traces it
 * only needs on failure), a sixth of the CPU of a busy appender; this path builds none
 * unless a publish actually fails. Deadlines are swept once a second, not timed per call.
 */
export class PublishMux {
  private readonly prefix = createInbox();
  private readonly pending = new Map<string, Pending>();
  private next = 0;
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5000,
  ) {
    nc.subscribe(`${this.prefix}.*`, {
      callback: (_err, msg) => {
        const id = msg.subject.slice(this.prefix.length + 1);
        const p = this.pending.get(id);
        if (p === undefined) return;
        this.pending.delete(id);
        if (msg.headers?.code === 503) {
          p.reject(new PublishRefusedError('no stream answers for this subject (no responders)', 503));
          return;
        }
        try {
          const body = JSON.parse(DECODER.decode(msg.data)) as {
            seq?: number;
            duplicate?: boolean;
            error?: { err_code?: number; description?: string };
          };
          if (body.error)
            p.reject(new PublishRefusedError(body.error.description ?? 'refused', body.error.err_code ?? 0));
          else p.resolve({ seq: body.seq ?? 0, duplicate: body.duplicate === true });
        } catch (err) {
          p.reject(err as Error);
        }
      },
    });
    this.sweeper = setInterval(() => this.expire(), 1000);
    this.sweeper.unref();
  }

  /**
   * Publishes `payload` to a stream with a dedupe id and, when given, the expected last
   * sequence of its subject; resolves with the ack.
   */
  publish(
    subject: string,
    payload: string | Uint8Array,
    msgId: string,
    expectedLastSubjectSeq?: number,
  ): Promise<StoreAck> {
    const id = (this.next++).toString(36);
    const h = headers();
    h.set('Nats-Msg-Id', msgId);
    if (expectedLastSubjectSeq !== undefined) {
      h.set('Nats-Expected-Last-Subject-Sequence', String(expectedLastSubjectSeq));
    }
    return new Promise<StoreAck>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, deadline: Date.now() + this.timeoutMs });
      try {
        this.nc.publish(subject, payload, { reply: `${this.prefix}.${id}`, headers: h });
      } catch (err) {
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue;
      this.pending.delete(id);
      p.reject(
        new PublishRefusedError(
          `no ack within ${this.timeoutMs} ms; the outcome is unknown, retry with the same command id`,
          408,
        ),
      );
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
