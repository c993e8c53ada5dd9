import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProviderProtocolError } from '../errors/errors';
import { type SseEvent, SseParser } from './sse-parser';

const parseAll = (pieces: readonly string[]): SseEvent[] => {
  const parser = new SseParser();
  return pieces.flatMap((p) => parser.push(p));
};

const ANTHROPIC_STREAM = [
  'event: message_start',
  'data: {"type":"message_start"}',
  '',
  ': keep-alive comment',
  'event: ping',
  'data: {"type": "ping"}',
  '',
  'event: content_block_delta',
  'data: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Hé 🌍"}}',
  '',
  'event: message_stop',
  'data: {"type":"message_stop"}',
  '',
  '',
];

describe('SseParser', () => {
  it('reads named events, skipping comments', () => {
    const events = parseAll([ANTHROPIC_STREAM.join('\n')]);
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'ping',
      'content_block_delta',
      'message_stop',
    ]);
    expect(JSON.parse(events[2]!.data).delta.text).toBe('Hé 🌍');
  });

  it('joins multi-line data with LF and strips only one leading space', () => {
    const events = parseAll(['data:first\ndata:  second\ndata\n\n']);
    expect(events).toEqual([{ event: 'message', data: 'first\n second\n', id: null }]);
  });

  it('treats CRLF, CR and LF alike, also when a CRLF is split between pieces', () => {
    const crlf = ANTHROPIC_STREAM.join('\r\n');
    const cr = ANTHROPIC_STREAM.join('\r');
    const expected = parseAll([ANTHROPIC_STREAM.join('\n')]);
    expect(parseAll([crlf])).toEqual(expected);
    expect(parseAll([cr])).toEqual(expected);
    const splitAt = crlf.indexOf('\r\n') + 1;
    expect(parseAll([crlf.slice(0, splitAt), crlf.slice(splitAt)])).toEqual(expected);
  });

  it('ignores a leading byte-order mark and lines with unknown fields', () => {
    const events = parseAll(['\ufeffretry: 10\nfoo: bar\nevent: x\ndata: 1\n\n']);
    expect(events).toEqual([{ event: 'x', data: '1', id: null }]);
  });

  it('yields the same events however the stream is split into pieces', () => {
    const stream = ANTHROPIC_STREAM.join('\r\n');
    const expected = parseAll([stream]);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
          const pieces = points.slice(1).map((end, i) => stream.slice(points[i], end));
          expect(parseAll(pieces)).toEqual(expected);
        },
      ),
    );
  });

  it('reports an event cut off by the end of the stream and does not dispatch it', () => {
    const parser = new SseParser();
    expect(parser.push('event: message_stop\ndata: {"type":"message_stop"}\n')).toEqual([]);
    expect(parser.end()).toEqual({ incomplete: true });
    const clean = new SseParser();
    clean.push('data: 1\n\n');
    expect(clean.end()).toEqual({ incomplete: false });
  });

  it('rejects a line that never ends instead of buffering without bound', () => {
    const parser = new SseParser({ maxEventLength: 100 });
    expect(() => parser.push(`data: ${'x'.repeat(200)}`)).toThrow(ProviderProtocolError);
    const many = new SseParser({ maxEventLength: 100 });
    expect(() => many.push('data: 0123456789\n'.repeat(20))).toThrow(ProviderProtocolError);
  });
});
