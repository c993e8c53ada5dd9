import { describe, expect, it } from 'vitest';
import { ProviderProtocolError } from '../errors/errors';
import { AnthropicStreamReader } from './anthropic-stream';

const ev = (event: string, data: object | string) => ({
  event,
  data: typeof data === 'string' ? data : JSON.stringify(data),
  id: null,
});
const start = ev('message_start', {
  type: 'message_start',
  message: { usage: { input_tokens: 12, output_tokens: 1 } },
});

describe('AnthropicStreamReader', () => {
  it('yields text deltas, skips thinking, tool input and unknown events, and keeps the last usage', () => {
    const reader = new AnthropicStreamReader();
    const steps = [
      start,
      ev('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'thinking' },
      }),
      ev('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'thinking_delta', thinking: 'hm' },
      }),
      ev('content_block_delta', {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'text_delta', text: 'Hi' },
      }),
      ev('content_block_delta', {
        type: 'content_block_delta',
        index: 2,
        delta: { type: 'input_json_delta', partial_json: '{' },
      }),
      ev('brand_new_event', { type: 'brand_new_event' }),
      ev('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: 7 },
      }),
      ev('message_stop', { type: 'message_stop' }),
    ].map((e) => reader.handle(e));
    expect(steps.filter((s) => s.kind !== 'continue')).toEqual([
      { kind: 'text', text: 'Hi' },
      { kind: 'stop' },
    ]);
    expect([reader.inputTokens, reader.outputTokens]).toEqual([12, 7]);
  });

  it('hands error events to the caller', () => {
    const data = JSON.stringify({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    expect(new AnthropicStreamReader().handle(ev('error', data))).toEqual({ kind: 'error', data });
  });

  it('rejects what is not the protocol', () => {
    const delta = ev('content_block_delta', {
      type: 'content_block_delta',
      delta: { type: 'text_delta', text: 'x' },
    });
    expect(() => new AnthropicStreamReader().handle(delta)).toThrow(ProviderProtocolError);
    expect(() => new AnthropicStreamReader().handle(ev('message_start', '{"type":'))).toThrow(
      ProviderProtocolError,
    );
    expect(() => new AnthropicStreamReader().handle(ev('x', '[1,2]'))).toThrow(ProviderProtocolError);
    const reader = new AnthropicStreamReader();
    reader.handle(start);
    expect(() =>
      reader.handle(
        ev('content_block_delta', { type: 'content_block_delta', delta: { type: 'text_delta', text: 5 } }),
      ),
    ).toThrow(ProviderProtocolError);
  });
});
