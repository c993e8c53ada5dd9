import { getProjectionStatus, type NatsHandle, pendingMigrations, type Topology } from '@flywheel/core';
import { Ready } from '@flywheel/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';

/** A dependency that does not answer within this is as good as down for readiness. */
const CHECK_TIMEOUT_MS = 2000;

async function probe<T>(
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
        CHECK_TIMEOUT_MS,
      );
    });
    return { ok: true, value: await Promise.race([fn(), timeout]) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export interface ReadyOptions {
  readonly nats: NatsHandle;
  readonly topology: Topology;
}

/**
 * Readiness: NATS connected, the streams present, PostgreSQL reachable and migrated, and
 * every projection running and within READY_MAX_LAG of its stream. 503 otherwise, with
 * each check saying what is wrong.
 */
export const readyRoutes: FastifyPluginAsyncZod<ReadyOptions> = async (app, { nats, topology }) => {
  const { db, config } = app.deps;
  const streams = [topology.events.stream, topology.output.stream, topology.work.stream];

  app.get(
    '/ready',
    {
      config: { auth: 'public' },
      schema: { summary: 'Readiness', tags: ['meta'], security: [], response: { 200: Ready, 503: Ready } },
    },
    async (_request, reply) => {
      const [natsUp, found, postgres, pending, projections] = await Promise.all([
        probe(async () => {
          if (nats.nc.isClosed()) throw new Error('the connection to NATS is closed');
          return nats.nc.rtt();
        }),
        probe(() =>
          Promise.all(
            streams.map((s) =>
              nats.jsm.streams.info(s).then(
                () => null,
                () => s,
              ),
            ),
          ),
        ),
        probe(() => sql`select 1`.execute(db)),
        probe(() => pendingMigrations(db)),
        probe(() => getProjectionStatus({ db, jsm: nats.jsm, topology })),
      ]);
      const missing = found.ok ? found.value.filter((s): s is string => s !== null) : [];
      const items = projections.ok
        ? projections.value.map((p) => ({
            name: p.name,
            ok: !p.stopped && p.lag <= config.readyMaxLag,
            checkpoint: p.checkpoint,
            streamLastSeq: p.streamLastSeq,
            lag: p.lag,
            deadLetters: p.deadLetters,
            stopped: p.stopped,
            updatedAt: p.updatedAt?.toISOString() ?? null,
          }))
        : [];
      const lagging = items.filter((p) => !p.ok);
      const checks: Ready['checks'] = {
        nats: natsUp.ok ? { ok: true } : { ok: false, message: natsUp.message },
        streams: found.ok
          ? {
              ok: missing.length === 0,
              missing,
              ...(missing.length > 0 ? { message: `missing streams: ${missing.join(', ')}` } : {}),
            }
          : { ok: false, missing: [], message: found.message },
        postgres: postgres.ok ? { ok: true } : { ok: false, message: postgres.message },
        migrations: pending.ok
          ? {
              ok: pending.value.length === 0,
              pending: pending.value,
              ...(pending.value.length > 0 ? { message: 'run make migrate' } : {}),
            }
          : { ok: false, pending: [], message: pending.message },
        projections: projections.ok
          ? {
              ok: lagging.length === 0,
              maxLag: config.readyMaxLag,
              items,
              ...(lagging.length > 0
                ? {
                    message: lagging
                      .map((p) => `${p.name} ${p.stopped ? 'is stopped' : `is ${p.lag} messages behind`}`)
                      .join('; '),
                  }
                : {}),
            }
          : { ok: false, maxLag: config.readyMaxLag, items: [], message: projections.message },
      };
      const ready = Object.values(checks).every((c) => c.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
};
