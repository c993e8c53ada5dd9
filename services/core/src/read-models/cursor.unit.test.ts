import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/errors';
import { createCursorCodec } from './cursor';

const codec = createCursorCodec('a-secret-of-at-least-thirty-two-bytes!!');

describe('cursors', () => {
  it('give back the position they were made for', () => {
    expect(codec.decode('acme', 'sessions', codec.encode('acme', 'sessions', 123_456))).toBe(123_456);
  });

  it('refuse another workspace, another list, another key, and any edit', () => {
    const c = codec.encode('acme', 'sessions', 42);
    const [body, mac] = c.split('.');
    const refused = [
      () => codec.decode('other', 'sessions', c),
      () => codec.decode('acme', 'accounts', c),
      () => createCursorCodec('another-secret-of-at-least-thirty-two-b').decode('acme', 'sessions', c),
      () => codec.decode('acme', 'sessions', `${(43).toString(36)}.${mac}`),
      () => codec.decode('acme', 'sessions', `${body}.${mac!.slice(1)}`),
      () => codec.decode('acme', 'sessions', `${body}`),
      () => codec.decode('acme', 'sessions', `${c}.extra`),
      () => codec.decode('acme', 'sessions', ''),
    ];
    for (const attempt of refused) {
      expect(attempt).toThrow(ValidationError);
    }
    let error: unknown;
    try {
      codec.decode('other', 'sessions', c, 'after');
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({
      details: { issues: [{ path: 'query.after', message: 'invalid or tampered cursor' }] },
    });
  });

  it('give back a pair, and never read one kind of cursor as the other', () => {
    const pair = codec.encode('acme', 'events', [9_007_199_254, 3]);
    expect(codec.decodePair('acme', 'events', pair)).toEqual([9_007_199_254, 3]);
    expect(() => codec.decode('acme', 'events', pair)).toThrow(ValidationError);
    expect(() => codec.decodePair('acme', 'events', codec.encode('acme', 'events', 7))).toThrow(
      ValidationError,
    );
    const [body, mac] = pair.split('.');
    expect(() => codec.decodePair('acme', 'events', `${body!.replace(/-3$/, '-4')}.${mac}`)).toThrow(
      ValidationError,
    );
    expect(() => codec.decodePair('acme', 'events', `${body}-1.${mac}`)).toThrow(ValidationError);
  });
});
