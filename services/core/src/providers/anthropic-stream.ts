import { z } from 'zod';
import { ProviderProtocolError } from '../errors/errors';
import type { SseEvent } from './sse-parser';

/** What one event of a Messages stream asks the driver to do. */
export type StreamStep =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'continue' }
  | { readonly kind: 'stop' }
  /** An `error` event; `data` is its body, classified by the caller. */
  | { readonly kind: 'error'; readonly data: string };

const Envelope = z.object({ type: z.string() }).loose();
const Usage = z
  .object({
    input_tokens: z.number().int().nonnegative().nullish(),
    output_tokens: z.number().int().nonnegative().nullish(),
  })
  .loose();
const MessageStart = z.object({ message: z.object({ usage: Usage.optional() }).loose() }).loose();
const ContentBlockDelta = z
  .object({ delta: z.object({ type: z.string(), text: z.unknown().optional() }).loose() })
  .loose();
const MessageDelta = z.object({ usage: Usage.nullish() }).loose();

/**
 * Follows one Messages API stream (`message_start`, `content_block_*`, `message_delta`,
 * `message_stop`, `ping`, `error`), yielding text in order and collecting usage. Unknown
 * event and delta types are skipped: Anthropic's versioning policy says new ones may appear
 * and clients must tolerate them (thinking and tool-input deltas are not session text).
 * Throws ProviderProtocolError for data that is not the protocol.
 */
export class AnthropicStreamReader {
  private started = false;
  private stopped = false;
  inputTokens: number | null = null;
  outputTokens: number | null = null;

  /** Interprets the next event. */
  handle(event: SseEvent): StreamStep {
    let json: unknown;
    try {
      json = JSON.parse(event.data);
    } catch {
      throw new ProviderProtocolError(`event "${event.event.slice(0, 40)}" carries data that is not JSON`);
    }
    const envelope = Envelope.safeParse(json);
    if (!envelope.success) throw new ProviderProtocolError(`event "${event.event.slice(0, 40)}" has no type`);
    const type = envelope.data.type;
    if (event.event === 'error' || type === 'error') return { kind: 'error', data: event.data };
    if (this.stopped) throw new ProviderProtocolError(`event "${type.slice(0, 40)}" after message_stop`);
    switch (type) {
      case 'message_start': {
        const start = parse(MessageStart, json, type);
        this.started = true;
        this.inputTokens = start.message.usage?.input_tokens ?? null;
        this.outputTokens = start.message.usage?.output_tokens ?? null;
        return { kind: 'continue' };
      }
      case 'ping':
        return { kind: 'continue' };
      case 'content_block_delta': {
        this.requireStarted(type);
        const { delta } = parse(ContentBlockDelta, json, type);
        if (delta.type !== 'text_delta') return { kind: 'continue' };
        if (typeof delta.text !== 'string') throw new ProviderProtocolError('text_delta without text');
        return delta.text === '' ? { kind: 'continue' } : { kind: 'text', text: delta.text };
      }
      case 'message_delta': {
        this.requireStarted(type);
        const { usage } = parse(MessageDelta, json, type);
        // message_delta usage is cumulative, so the last one wins.
        if (usage?.output_tokens != null) this.outputTokens = usage.output_tokens;
        if (usage?.input_tokens != null) this.inputTokens = usage.input_tokens;
        return { kind: 'continue' };
      }
      case 'message_stop':
        this.requireStarted(type);
        this.stopped = true;
        return { kind: 'stop' };
      default:
        return { kind: 'continue' };
    }
  }

  private requireStarted(type: string): void {
    if (!this.started) throw new ProviderProtocolError(`${type} before message_start`);
  }
}

function parse<T>(schema: z.ZodType<T>, json: unknown, type: string): T {
  const result = schema.safeParse(json);
  if (!result.success) throw new ProviderProtocolError(`malformed ${type} event`);
  return result.data;
}
