import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/errors';
import { createCursorCodec, keysetPage } from './cursor';

const codec = createCursorCodec('a-secret-of-at-least-thirty-two-bytes!!');

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Another last character of a 16-byte base64url text that decodes to the same bytes (its low 4 bits are unused). */
const sameBytes = (last: string) => BASE64URL[BASE64URL.indexOf(last) ^ 1]!;

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
      // Other spellings of the same signature bytes: padding, a stray character, the last
      // character's unused bits.
      () => codec.decode('acme', 'sessions', `${c}=`),
      () => codec.decode('acme', 'sessions', `${c}!`),
      () => codec.decode('acme', 'sessions', `${body}.${mac!.slice(0, -1)}${sameBytes(mac!.at(-1)!)}`),
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

describe('keysetPage', () => {
  const after = (last: number) => `after-${last}`;

  it('keeps limit rows and gives the cursor after the last of them when one more was found', () => {
    expect(keysetPage([9, 8, 7, 6], 3, after)).toEqual({ page: [9, 8, 7], nextCursor: 'after-7' });
  });

  it('gives every row and no cursor on the last page', () => {
    expect(keysetPage([9, 8, 7], 3, after)).toEqual({ page: [9, 8, 7], nextCursor: null });
    expect(keysetPage([9], 3, after)).toEqual({ page: [9], nextCursor: null });
    expect(keysetPage([], 3, after)).toEqual({ page: [], nextCursor: null });
  });
});
