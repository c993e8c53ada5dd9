import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const FORMAT_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts with AES-256-GCM. `aad` binds the ciphertext to its owner (the account id), so a
 * sealed value copied to another row does not open. Layout: version | iv | tag | ciphertext.
 */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), body]);
}

/** Decrypts what `seal` produced; throws when the key, the aad or a single byte is wrong. */
export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== FORMAT_V1) {
    throw new Error('sealed value has an unknown format');
  }
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** Names a master key without revealing it, so rows show which key wrapped them. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('flywheel-master-key').update(key).digest('hex').slice(0, 16);
}

/** Public prefixes providers put on their keys; showing them tells users which kind of key it is. */
const KEY_HINTS = ['sk-ant-', 'sk-proj-', 'sk-', 'AIza'] as const;

/**
 * A short, non-reversible name for a credential: the provider's public key prefix, if any,
 * and the first 12 hex characters (48 bits) of its SHA-256. Enough to tell keys apart,
 * never enough to recover one.
 */
export function fingerprint(secret: string): string {
  const hint = KEY_HINTS.find((h) => secret.startsWith(h) && secret.length > h.length + 16) ?? '';
  return `${hint}…${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;
}
