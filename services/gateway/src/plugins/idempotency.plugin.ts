import { createHash } from 'node:crypto';
import {
  type Database,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  ValidationError,
} from '@flywheel/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';
import { principalOf } from './auth.plugin';
import { createIdempotencyStore } from './idempotency-store';

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** How long a retry waits for the first request's answer before it is told to come back. */
const PENDING_WAIT_MS = 2_000;
const PENDING_POLL_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
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
 * body gets that answer replayed (waiting up to 2 s while the first still runs, then 409),
 * with a different body a 422. Runs after authentication and validation, so rejected
 * requests claim no key.
 */
export const idempotencyPlugin = fp<IdempotencyOptions>(
  async (app, { db }) => {
    const store = createIdempotencyStore(db);
    app.decorateRequest('idempotency', null);

    /** Claims the key for this request, or answers it with the first request's answer (true). */
    async function claimOrReplay(
      request: FastifyRequest,
      reply: FastifyReply,
      key: string,
    ): Promise<boolean> {
      const { workspace } = principalOf(request);
      const keyHash = sha256(key);
      const requestHash = sha256(
        canonicalJson([request.method, request.routeOptions.url, request.params, request.body ?? null]),
      );
      const claim = { workspace, keyHash, commandId: `idem-${sha256(`${workspace}\n${key}`).slice(0, 40)}` };

      // A key held by a running request is usually answered within milliseconds (its
      // answer is being recorded as the client sees it), so wait a little for it.
      const deadline = Date.now() + PENDING_WAIT_MS;
      for (;;) {
        const held = await store.claim(workspace, keyHash, requestHash);
        if (held === true) {
          request.idempotency = { ...claim, owned: true };
          return false;
        }
        // null: the holder failed and released the key between our two statements.
        if (held !== null) {
          if (held.requestHash !== requestHash) {
            throw new IdempotencyKeyReusedError(
              'this Idempotency-Key was already used for a different request; use a new key for a new request',
            );
          }
          if (held.state === 'completed') {
            request.idempotency = { ...claim, owned: false };
            reply
              .code(held.status)
              .header('idempotent-replayed', 'true')
              .type('application/json; charset=utf-8');
            reply.send(held.body ?? '');
            return true;
          }
        }
        if (Date.now() >= deadline) {
          throw new IdempotencyInProgressError(
            'the first request with this Idempotency-Key is still running; retry in a moment for its answer',
          );
        }
        await sleep(PENDING_POLL_MS);
      }
    }

    // Callback style: most requests carry no key, and they should not pay for a promise.
    app.addHook('preHandler', (request, reply, done) => {
      // Unmatched (404) and public requests run no command, so they claim no key.
      if (request.method !== 'POST' || request.principal === null) return done();
      const key = request.headers['idempotency-key'];
      if (key === undefined) return done();
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
        const message = 'must be 1 to 255 visible ASCII characters (a UUID is a good choice)';
        return done(
          new ValidationError(`Idempotency-Key ${message}`, {
            details: { issues: [{ path: 'headers.idempotency-key', message }] },
          }),
        );
      }
      claimOrReplay(request, reply, key).then(
        // A replayed answer is already sent: the route must not run.
        (replayed) => (replayed ? undefined : done()),
        (err: Error) => done(err),
      );
    });

    // The answer is recorded while it travels to the client rather than before: a retry can
    // only come after it, and one that finds the key still pending waits for the record.
    const recording = new Set<Promise<void>>();
    app.addHook('onSend', (request, reply, payload, done) => {
      const claim = request.idempotency;
      if (!claim?.owned) return done(null, payload);
      // Failures that a retry may cure (a conflict, an outage) release the key instead.
      const write =
        reply.statusCode >= 500 || reply.statusCode === 409
          ? store.release(claim.workspace, claim.keyHash)
          : store.complete(
              claim.workspace,
              claim.keyHash,
              reply.statusCode,
              typeof payload === 'string' ? payload : payload == null ? null : String(payload),
            );
      const tracked = write.catch((err: unknown) => {
        // The key stays pending until it goes stale; a retry then re-runs the command,
        // which the key-derived command id makes harmless.
        request.log.error({ err }, 'could not record the answer for an Idempotency-Key');
      });
      recording.add(tracked);
      void tracked.finally(() => recording.delete(tracked));
      done(null, payload);
    });

    const sweep = setInterval(() => {
      store
        .sweep()
        .catch((err: unknown) => app.log.warn({ err }, 'sweeping expired idempotency keys failed'));
    }, SWEEP_INTERVAL_MS);
    sweep.unref();
    app.addHook('onClose', async () => {
      clearInterval(sweep);
      await Promise.all(recording);
    });
  },
  { name: 'idempotency', dependencies: ['auth'] },
);
