import { createHash, randomBytes } from 'node:crypto';

/** Prefixes that make an aggregate id say what it names (`ses_…`, `acc_…`). */
export const ID_PREFIXES = { session: 'ses', account: 'acc', agent: 'agt' } as const;
export type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES];

// Crockford base32, lower case: ids stay valid NATS subject tokens and read unambiguously.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

// Random bytes are drawn in blocks: one call per id costs more than the rest of an id.
const POOL_BYTES = 16 * 256;
let pool = randomBytes(POOL_BYTES);
let offset = 0;

function random16(): Uint8Array {
  if (offset + 16 > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  offset += 16;
  return pool.subarray(offset - 16, offset);
}

/** A fresh random id with 128 bits of entropy: `ses_` + 26 base32 characters. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${base32(random16())}`;
}

/**
 * The id a retried command must reuse: derived from `seed` (an idempotency key's command
 * id), so a retry after a crash addresses the aggregate the first attempt created.
 */
export function derivedId(prefix: IdPrefix, seed: string): string {
  return `${prefix}_${base32(createHash('sha256').update(seed).digest().subarray(0, 16))}`;
}
