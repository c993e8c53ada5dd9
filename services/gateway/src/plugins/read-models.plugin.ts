import {
  type CheckpointWatcher,
  type CursorCodec,
  createCheckpointWatcher,
  createCursorCodec,
  type ProjectionName,
  type StreamRef,
  ValidationError,
} from '@flywheel/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ChangeSource } from '../http/page-cache';

/** Longest a query waits for its read model to reach the sequence it was asked to see. */
export const CONSISTENCY_WAIT_MS = 2000;
/** Header twin of `?consistentWith=`: the `streamSeq` a command answered with. */
export const CONSISTENT_WITH_HEADER = 'x-consistent-with';
/** `consistent` when the read model had reached the sequence, `stale` when the wait ran out. */
export const CONSISTENCY_HEADER = 'x-consistency';

export interface ReadModels {
  readonly cursors: CursorCodec;
  /** Tells when a read model may have changed, for caches of rendered pages. */
  readonly changes: ChangeSource;
  /**
   * Read-your-writes: waits (at most CONSISTENCY_WAIT_MS) until `projection` has applied
   * the highest of `?consistentWith=`, the `X-Consistent-With` header and `implied`, and
   * says in the `X-Consistency` header whether it got there.
   */
  consistent(
    request: FastifyRequest,
    reply: FastifyReply,
    projection: ProjectionName,
    implied?: number,
  ): Promise<void>;
  /**
   * A detail read: the entity as of its aggregate's latest commit and at least the asked
   * sequence, as `consistent` with the aggregate's version implied. The row is read while
   * NATS is asked for that version: a row whose `seq` already reaches both was written by
   * a batch whose checkpoint does too, so it answers at once; otherwise the read waits and
   * is made again. Null when there is no such entity.
   */
  detail<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    projection: ProjectionName,
    ref: StreamRef,
    load: () => Promise<T | null>,
    seq: (found: T) => number,
  ): Promise<T | null>;
}

declare module 'fastify' {
  interface FastifyInstance {
    readonly readModels: ReadModels;
  }
}

function headerSeq(request: FastifyRequest): number | undefined {
  const raw = request.headers[CONSISTENT_WITH_HEADER];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw.trim())) {
    throw new ValidationError(
      'X-Consistent-With must be a stream sequence (the streamSeq a command returned)',
      {
        details: { issues: [{ path: 'headers.x-consistent-with', message: 'expected a whole number' }] },
      },
    );
  }
  return Number(raw.trim());
}

/** The highest of `?consistentWith=` and `X-Consistent-With`; 0 when neither was given. */
function askedSeq(request: FastifyRequest): number {
  const asked = (request.query as { consistentWith?: number } | undefined)?.consistentWith ?? 0;
  return Math.max(asked, headerSeq(request) ?? 0);
}

/** Cursors and read-your-writes for the query routes; one LISTEN connection per gateway. */
export const readModelsPlugin = fp(
  async (app) => {
    const { config, eventStore } = app.deps;
    const watcher: CheckpointWatcher = await createCheckpointWatcher(config.databaseUrl, app.log);
    app.addHook('onClose', () => watcher.close());
    /**
     * An aggregate's version in the log, which a detail read must reflect; 0 (no wait) when
     * NATS cannot say, so queries still answer from the read model during a NATS outage.
     */
    const versionOf = async (ref: StreamRef): Promise<number> => {
      try {
        return await eventStore.version(ref);
      } catch (err) {
        app.log.warn({ err }, 'cannot read an aggregate version; answering from the read model as it stands');
        return 0;
      }
    };
    const consistent: ReadModels['consistent'] = async (request, reply, projection, implied = 0) => {
      const target = Math.max(askedSeq(request), implied);
      if (target === 0) return;
      const reached = await watcher.waitFor(projection, target, CONSISTENCY_WAIT_MS);
      reply.header(CONSISTENCY_HEADER, reached ? 'consistent' : 'stale');
    };
    app.decorate('readModels', {
      cursors: createCursorCodec(config.jwtSecret),
      changes: watcher,
      consistent,
      async detail(request, reply, projection, ref, load, seq) {
        const asked = askedSeq(request);
        const [version, found] = await Promise.all([versionOf(ref), load()]);
        if (found !== null && version > 0 && seq(found) >= Math.max(asked, version)) {
          reply.header(CONSISTENCY_HEADER, 'consistent');
          return found;
        }
        await consistent(request, reply, projection, version);
        return load();
      },
    } satisfies ReadModels);
  },
  { name: 'read-models', dependencies: ['deps'] },
);
