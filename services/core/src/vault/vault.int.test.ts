import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialUnavailableError } from '../errors/errors';
import { createTestContext, type TestContext } from '../testing';
import { open } from './crypto';
import { createVault, type Vault } from './vault';

let ctx: TestContext;
let vault: Vault;
const master = randomBytes(32);
beforeAll(async () => {
  ctx = await createTestContext({ streams: false });
  vault = createVault(ctx.db, master);
});
afterAll(async () => {
  await ctx?.dispose();
});

const row = (accountId: string) =>
  ctx.db
    .selectFrom('account_credentials')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();

describe('vault', () => {
  it('keeps a secret encrypted and reveals it to its workspace only', async () => {
    await vault.store('acme', 'acc_1', 'sk-ant-the-secret-value');
    const stored = await row('acc_1');
    expect(stored.secret_sealed.includes(Buffer.from('sk-ant-the-secret-value'))).toBe(false);
    expect(stored.data_key_sealed).not.toBeNull();
    expect(await vault.reveal('acme', 'acc_1')).toBe('sk-ant-the-secret-value');
    await expect(vault.reveal('globex', 'acc_1')).rejects.toBeInstanceOf(CredentialUnavailableError);
    await expect(vault.reveal('acme', 'acc_none')).rejects.toThrow(/has no stored credential/);
  });

  it('keeps the first secret when a link is retried', async () => {
    await vault.store('acme', 'acc_retry', 'first');
    await vault.store('acme', 'acc_retry', 'second');
    expect(await vault.reveal('acme', 'acc_retry')).toBe('first');
  });

  it('shreds on destroy: the data key is gone, so not even the master key opens the ciphertext', async () => {
    await vault.store('acme', 'acc_gone', 'sk-to-shred');
    const before = await row('acc_gone');
    await vault.destroy('acc_gone');
    const after = await row('acc_gone');
    expect(after.data_key_sealed).toBeNull();
    expect(after.destroyed_at).not.toBeNull();
    await expect(vault.reveal('acme', 'acc_gone')).rejects.toThrow(/destroyed when the account was revoked/);
    // The ciphertext alone is useless: the master key only ever opened the (deleted) data key.
    expect(() => open(master, after.secret_sealed, 'flywheel:secret:acme:acc_gone')).toThrow();
    // And a retried link cannot bring it back.
    await vault.store('acme', 'acc_gone', 'sk-again');
    await expect(vault.reveal('acme', 'acc_gone')).rejects.toThrow(/destroyed/);
    expect(before.secret_sealed.equals(after.secret_sealed)).toBe(true);
  });

  it('says so when the master key changed', async () => {
    await vault.store('acme', 'acc_rotated', 'sk-old');
    const other = createVault(ctx.db, randomBytes(32));
    await expect(other.reveal('acme', 'acc_rotated')).rejects.toThrow(/another GATEWAY_MASTER_KEY/);
  });

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => createVault(ctx.db, randomBytes(16))).toThrow(/32 bytes/);
  });
});
