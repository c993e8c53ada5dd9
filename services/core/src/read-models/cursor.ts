import { createHmac, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '../errors/errors';

/**
 * Opaque, signed page cursors. A cursor names a position in one list of one workspace;
 * it is HMAC-signed so a client cannot forge a position or reuse another workspace's
 * cursor (either is a 400, never trusted).
 */
export interface CursorCodec {
  encode(workspace: string, list: string, position: number): string;
  /** The position a cursor names; throws `ValidationError` naming `query.<param>` when it is not valid here. */
  decode(workspace: string, list: string, cursor: string, param?: string): number;
}

const MAC_BYTES = 16;

/** Creates the cursor codec keyed by `secret` (the gateway uses `JWT_SECRET`). */
export function createCursorCodec(secret: string): CursorCodec {
  const mac = (workspace: string, list: string, body: string) =>
    createHmac('sha256', secret)
      .update(`cursor\n${workspace}\n${list}\n${body}`)
      .digest()
      .subarray(0, MAC_BYTES);
  return {
    encode(workspace, list, position) {
      const body = position.toString(36);
      return `${body}.${mac(workspace, list, body).toString('base64url')}`;
    },
    decode(workspace, list, cursor, param = 'cursor') {
      const invalid = () =>
        new ValidationError(`${param} is not a cursor this list gave out; start again without it`, {
          details: { issues: [{ path: `query.${param}`, message: 'invalid or tampered cursor' }] },
        });
      const [body, signature, extra] = cursor.split('.');
      if (
        body === undefined ||
        signature === undefined ||
        extra !== undefined ||
        !/^[0-9a-z]{1,12}$/.test(body)
      ) {
        throw invalid();
      }
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(workspace, list, body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
      return Number.parseInt(body, 36);
    },
  };
}
