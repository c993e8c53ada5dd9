import { getProjectionStatus, type NatsHandle, type ProjectionStatus, type Topology } from '@flywheel/core';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';

export interface ProjectionMetricsOptions {
  readonly nats: NatsHandle;
  readonly topology: Topology;
}

/** One measurement serves every gauge of a scrape; a scrape asks each gauge in turn within milliseconds. */
const SAMPLE_REUSE_MS = 1000;

/**
 * Projection gauges on `GET /metrics`, measured at scrape time as `/ready` measures them:
 * lag, checkpoint, dead letters, and whether the projection is stopped. When NATS or
 * PostgreSQL cannot answer, the gauges have no samples (alert on their absence) and the
 * rest of the scrape still answers.
 */
const projectionMetricsPlugin: FastifyPluginAsync<ProjectionMetricsOptions> = async (
  app,
  { nats, topology },
) => {
  const { db } = app.deps;
  let sample: { at: number; status: Promise<ProjectionStatus[] | null> } | null = null;
  const measure = (): Promise<ProjectionStatus[] | null> => {
    const now = Date.now();
    if (sample === null || now - sample.at > SAMPLE_REUSE_MS) {
      const status = getProjectionStatus({ db, jsm: nats.jsm, topology }).catch((err: unknown) => {
        app.log.warn({ err }, 'projection metrics: could not measure the projections');
        return null;
      });
      sample = { at: now, status };
    }
    return sample.status;
  };
  const gauge = (name: string, help: string, value: (p: ProjectionStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection'] as const,
      registers: [app.metrics],
      async collect() {
        const status = await measure();
        this.reset();
        for (const p of status ?? []) this.set({ projection: p.name }, value(p));
      },
    });
  gauge(
    'flywheel_projection_lag_messages',
    'Messages in the stream the read model has not applied yet',
    (p) => p.lag,
  );
  gauge(
    'flywheel_projection_checkpoint',
    'Last stream sequence applied to the read model',
    (p) => p.checkpoint,
  );
  gauge('flywheel_projection_dead_letters', 'Messages the projection could not apply', (p) => p.deadLetters);
  gauge(
    'flywheel_projection_stopped',
    '1 when nobody is projecting: no consumer, or behind and not moving',
    (p) => (p.stopped ? 1 : 0),
  );
};

export default fp(projectionMetricsPlugin, {
  name: 'projection-metrics',
  fastify: '5.x',
  dependencies: ['metrics'],
});
