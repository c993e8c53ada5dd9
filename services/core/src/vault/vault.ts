import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import { CredentialUnavailableError } from '../errors/errors';
import { keyId, open, seal } from './crypto';

/**
 * Where account credentials live: each secret AES-256-GCM-encrypted under its own data key,
 * the data key wrapped by the master key. Events, logs and responses never see a secret;
 * replay never reads this table.
 */
export interface Vault {
  /** Stores an account's secret; a second store for the same account (a retried link) keeps the first. */
  store(workspace: string, accountId: string, secret: string): Promise<void>;
  /** The secret in clear, for a credential lease; throws `CredentialUnavailableError` when there is none. */
  reveal(workspace: string, accountId: string): Promise<string>;
  /** Crypto-shredding: deletes the account's wrapped data key, so its ciphertext can never be opened again. */
  destroy(accountId: string): Promise<void>;
}

// The aad binds each sealed value to its row: a data key or secret copied elsewhere does not open.
const dataKeyAad = (accountId: string) => `flywheel:data-key:${accountId}`;
const secretAad = (workspace: string, accountId: string) => `flywheel:secret:${workspace}:${accountId}`;

/** Creates the vault over the `account_credentials` table with the configured 32-byte master key. */
export function createVault(db: Kysely<Database>, masterKey: Buffer): Vault {
  if (masterKey.length !== 32) throw new Error('the vault master key must be 32 bytes');
  const masterKeyId = keyId(masterKey);
  return {
    async store(workspace, accountId, secret) {
      const dataKey = randomBytes(32);
      try {
        await db
          .insertInto('account_credentials')
          .values({
            account_id: accountId,
            workspace,
            secret_sealed: seal(dataKey, Buffer.from(secret, 'utf8'), secretAad(workspace, accountId)),
            data_key_sealed: seal(masterKey, dataKey, dataKeyAad(accountId)),
            master_key_id: masterKeyId,
          })
          // A retried link must not replace the key, and a revoked account must stay shredded.
          .onConflict((oc) => oc.column('account_id').doNothing())
          .execute();
      } finally {
        dataKey.fill(0);
      }
    },

    async reveal(workspace, accountId) {
      const row = await db
        .selectFrom('account_credentials')
        .select(['secret_sealed', 'data_key_sealed', 'master_key_id'])
        .where('account_id', '=', accountId)
        .where('workspace', '=', workspace)
        .executeTakeFirst();
      if (!row) {
        throw new CredentialUnavailableError(`account ${accountId} has no stored credential`);
      }
      if (row.data_key_sealed === null) {
        throw new CredentialUnavailableError(
          `the credential of account ${accountId} was destroyed when the account was revoked`,
        );
      }
      let dataKey: Buffer;
      try {
        dataKey = open(masterKey, row.data_key_sealed, dataKeyAad(accountId));
      } catch (cause) {
        throw new CredentialUnavailableError(
          row.master_key_id === masterKeyId
            ? `the credential of account ${accountId} is damaged and cannot be decrypted`
            : `the credential of account ${accountId} was stored under another GATEWAY_MASTER_KEY (key id ${row.master_key_id}); restore that key or link the account again`,
          { cause },
        );
      }
      try {
        return open(dataKey, row.secret_sealed, secretAad(workspace, accountId)).toString('utf8');
      } catch (cause) {
        throw new CredentialUnavailableError(
          `the credential of account ${accountId} is damaged and cannot be decrypted`,
          { cause },
        );
      } finally {
        dataKey.fill(0);
      }
    },

    async destroy(accountId) {
      await db
        .updateTable('account_credentials')
        .set({ data_key_sealed: null, destroyed_at: sql`now()` })
        .where('account_id', '=', accountId)
        .execute();
    },
  };
}
