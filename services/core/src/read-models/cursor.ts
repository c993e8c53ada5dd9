import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../errors/errors';

/**
 * Opaque, signed page cursors. A cursor names a position in one list of one workspace;
 * it is HMAC-signed so a client cannot forge a position or reuse another workspace's
 * cursor (either is a 400, never trusted).
 */
export interface CursorCodec {
  /** A cursor at `position`: one number, or two for lists keyed by a pair (an event: its commit's sequence and its index in it). */
  encode(workspace: string, list: string, position: number | readonly [number, number]): string;
  /** The position a cursor names; throws `ValidationError` naming `query.<param>` when it is not valid here. */
  decode(workspace: string, list: string, cursor: string, param?: string): number;
  /** The pair a cursor names (see `encode`); throws like `decode`. */
  decodePair(workspace: string, list: string, cursor: string, param?: string): [number, number];
}

const MAC_BYTES = 16;

/** Creates the cursor codec keyed by `secret` (the gateway uses `JWT_SECRET`). */
export function createCursorCodec(secret: string): CursorCodec {
  const mac = (workspace: string, list: string, body: string) =>
    createHmac('sha256', secret)
      .update(`cursor\n${workspace}\n${list}\n${body}`)
      .digest()
      .subarray(0, MAC_BYTES);
  const verified = (
    workspace: string,
    list: string,
    cursor: string,
    param: string,
    parts: number,
  ): number[] => {
    const invalid = () =>
      new ValidationError(`${param} is not a cursor this list gave out; start again without it`, {
        details: { issues: [{ path: `query.${param}`, message: 'invalid or tampered cursor' }] },
      });
    const [body, signature, extra] = cursor.split('.');
    if (body === undefined || signature === undefined || extra !== undefined) throw invalid();
    const numbers = body.split('-');
    if (numbers.length !== parts || !numbers.every((n) => /^[0-9a-z]{1,12}$/.test(n))) throw invalid();
    // Compared as text: decoding first would accept other spellings of the same bytes
    // (padding, stray characters, the unused bits of the last character).
    const given = Buffer.from(signature);
    const expected = Buffer.from(mac(workspace, list, body).toString('base64url'));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    return numbers.map((n) => Number.parseInt(n, 36));
  };
  return {
    encode(workspace, list, position) {
      const body =
        typeof position === 'number' ? position.toString(36) : position.map((n) => n.toString(36)).join('-');
      return `${body}.${mac(workspace, list, body).toString('base64url')}`;
    },
    decode(workspace, list, cursor, param = 'cursor') {
      return verified(workspace, list, cursor, param, 1)[0]!;
    },
    decodePair(workspace, list, cursor, param = 'cursor') {
      const [first, second] = verified(workspace, list, cursor, param, 2);
      return [first!, second!];
    },
  };
}

/**
 * A keyset page from `rows`, queried with one row past `limit` (that row tells whether a
 * next page exists): the first `limit` rows, and the cursor after the last of them, null
 * on the last page.
 */
export function keysetPage<R>(
  rows: readonly R[],
  limit: number,
  cursorAfter: (last: R) => string,
): { readonly page: readonly R[]; readonly nextCursor: string | null } {
  if (rows.length <= limit) return { page: rows, nextCursor: null };
  const page = rows.slice(0, limit);
  return { page, nextCursor: cursorAfter(page[page.length - 1]!) };
}
