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
});
