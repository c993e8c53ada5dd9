import { createHash } from 'node:crypto';
import {
  type Database,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  ValidationError,
} from '@flywheel/core';
import fp from 'fastify-plugin';
import { type Kysely, sql } from 'kysely';

/** How long a first answer is kept; clients may retry for at least this long. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A pending key older than this belongs to a request that died; a retry may take it over. */
const STALE_PENDING_MS = 60 * 1000;
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The `Idempotency-Key` this request runs under. */
export interface IdempotencyClaim {
  readonly workspace: string;
  readonly keyHash: string;
  /** The command id (and `Nats-Msg-Id`) derived from the key: a retried command is stored once. */
  readonly commandId: string;
  /** False when the answer was replayed from the first request. */
  readonly owned: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: IdempotencyClaim | null;
  }
}

export interface IdempotencyOptions {
  readonly db: Kysely<Database>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** JSON with sorted keys, so the same body hashes the same whatever the client's key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` on POST: the first request with a key inserts a pending row (the primary
 * key stops a concurrent duplicate), runs, and records its answer; a retry with the same
 * body gets that answer replayed, with a different body a 422, while the first still runs
 * a 409. Runs after authentication and validation, so rejected requests claim no key.
 */
export const idempotencyPlugin = fp<IdempotencyOptions>(
  async (app, { db }) => {
    app.decorateRequest('idempotency', null);

    app.addHook('preHandler', async (request, reply) => {
      // Unmatched (404) and public requests run no command, so they claim no key.
      if (request.method !== 'POST' || request.principal === null) return;
      const key = request.headers['idempotency-key'];
      if (key === undefined) return;
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
        const message = 'must be 1 to 255 visible ASCII characters (a UUID is a good choice)';
        throw new ValidationError(`Idempotency-Key ${message}`, {
          details: { issues: [{ path: 'headers.idempotency-key', message }] },
        });
      }
      const { workspace } = request.principal;
      const keyHash = sha256(key);
      const requestHash = sha256(
        canonicalJson([request.method, request.routeOptions.url, request.params, request.body ?? null]),
      );
      const claim = { workspace, keyHash, commandId: `idem-${sha256(`${workspace}\n${key}`).slice(0, 40)}` };

      // A row can vanish between the insert and the select (its request failed and released
      // it), so try a few times before giving up.
      for (let attempt = 0; attempt < 3; attempt++) {
        const claimed = await db
          .insertInto('idempotency_keys')
          .values({
            workspace,
            key_hash: keyHash,
            request_hash: requestHash,
            status: 'pending',
            expires_at: sql<Date>`now() + ${`${IDEMPOTENCY_TTL_MS} milliseconds`}::interval`,
          })
          .onConflict((oc) =>
            oc
              .columns(['workspace', 'key_hash'])
              .doUpdateSet({
                request_hash: requestHash,
                status: 'pending',
                response_status: null,
                response_body: null,
                created_at: sql`now()`,
                locked_at: sql`now()`,
                expires_at: sql`excluded.expires_at`,
              })
              // Take over only an expired key, or the same request abandoned by a dead process.
              .where((eb) =>
                eb.or([
                  eb('idempotency_keys.expires_at', '<', sql<Date>`now()`),
                  eb.and([
                    eb('idempotency_keys.status', '=', 'pending'),
                    eb('idempotency_keys.request_hash', '=', requestHash),
                    sql<boolean>`idempotency_keys.locked_at < now() - ${`${STALE_PENDING_MS} milliseconds`}::interval`,
                  ]),
                ]),
              ),
          )
          .returning('key_hash')
          .executeTakeFirst();
        if (claimed) {
          request.idempotency = { ...claim, owned: true };
          return;
        }
        const row = await db
          .selectFrom('idempotency_keys')
          .select(['request_hash', 'status', 'response_status', 'response_body'])
          .where('workspace', '=', workspace)
          .where('key_hash', '=', keyHash)
          .executeTakeFirst();
        if (!row) continue;
        if (row.request_hash !== requestHash) {
          throw new IdempotencyKeyReusedError(
            'this Idempotency-Key was already used for a different request; use a new key for a new request',
          );
        }
        if (row.status === 'pending') {
          throw new IdempotencyInProgressError(
            'the first request with this Idempotency-Key is still running; retry in a moment for its answer',
          );
        }
        request.idempotency = { ...claim, owned: false };
        reply
          .code(row.response_status ?? 200)
          .header('idempotent-replayed', 'true')
          .type('application/json; charset=utf-8');
        return reply.send(row.response_body ?? '');
      }
      throw new IdempotencyInProgressError('this Idempotency-Key is contended; retry in a moment');
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const claim = request.idempotency;
      if (!claim?.owned) return payload;
      const where = { workspace: claim.workspace, key_hash: claim.keyHash } as const;
      try {
        // Failures that a retry may cure (a conflict, an outage) release the key instead.
        if (reply.statusCode >= 500 || reply.statusCode === 409) {
          await db
            .deleteFrom('idempotency_keys')
            .where('workspace', '=', where.workspace)
            .where('key_hash', '=', where.key_hash)
            .where('status', '=', 'pending')
            .execute();
        } else {
          await db
            .updateTable('idempotency_keys')
            .set({
              status: 'completed',
              response_status: reply.statusCode,
              response_body: typeof payload === 'string' ? payload : payload == null ? null : String(payload),
            })
            .where('workspace', '=', where.workspace)
            .where('key_hash', '=', where.key_hash)
            .execute();
        }
      } catch (err) {
        // The client still gets its answer. The key stays pending until it goes stale; a
        // retry then re-runs the command, which the derived command id makes harmless.
        request.log.error({ err }, 'could not record the answer for an Idempotency-Key');
      }
      return payload;
    });

    const sweep = setInterval(() => {
      db.deleteFrom('idempotency_keys')
        .where('expires_at', '<', sql<Date>`now()`)
        .execute()
        .catch((err: unknown) => app.log.warn({ err }, 'sweeping expired idempotency keys failed'));
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));
  },
  { name: 'idempotency', dependencies: ['auth'] },
);
