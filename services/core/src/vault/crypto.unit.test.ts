import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint, keyId, open, seal } from './crypto';

describe('vault crypto', () => {
  const key = randomBytes(32);

  it('opens what it sealed, and every seal of the same text differs', () => {
    const a = seal(key, Buffer.from('sk-secret'), 'acc_1');
    const b = seal(key, Buffer.from('sk-secret'), 'acc_1');
    expect(a.equals(b)).toBe(false);
    expect(open(key, a, 'acc_1').toString()).toBe('sk-secret');
  });

  it('refuses another key, another owner or a flipped byte', () => {
    const sealed = seal(key, Buffer.from('sk-secret'), 'acc_1');
    expect(() => open(randomBytes(32), sealed, 'acc_1')).toThrow();
    expect(() => open(key, sealed, 'acc_2')).toThrow();
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1]! ^= 1;
    expect(() => open(key, flipped, 'acc_1')).toThrow();
    expect(() => open(key, Buffer.from([9, 1, 2]), 'acc_1')).toThrow(/unknown format/);
  });

  it('fingerprints keep the public prefix and 12 hex of the hash, never the secret', () => {
    const secret = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz';
    const fp = fingerprint(secret);
    expect(fp).toMatch(/^sk-ant-…[0-9a-f]{12}$/);
    expect(fp).not.toContain('abcdefgh');
    expect(fingerprint('short-unknown-secret-123')).toMatch(/^…[0-9a-f]{12}$/);
    expect(fingerprint(secret)).toBe(fp);
    expect(fingerprint(`${secret}x`)).not.toBe(fp);
  });

  it('names a master key without revealing it', () => {
    expect(keyId(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(key.toString('hex')).not.toContain(keyId(key));
  });
});
