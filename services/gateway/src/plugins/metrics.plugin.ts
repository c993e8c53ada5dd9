import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricsPluginOptions {
  /** Where to register; other plugins add their own metrics to it (the projections' gauges). */
  readonly registry?: Registry;
}

declare module 'fastify' {
  interface FastifyInstance {
    readonly metrics: Registry;
  }
}

/**
 * `GET /metrics` in Prometheus text: process metrics (memory, event loop lag, GC) and
 * HTTP request counts and latency by route pattern, never by raw URL (ids would explode
 * the label set).
 */
const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, opts) => {
  const registry = opts.registry ?? new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flywheel_gateway_' });
  const requests = new Counter({
    name: 'flywheel_http_requests_total',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'flywheel_http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'flywheel_http_requests_in_flight',
    help: 'HTTP requests being served',
    registers: [registry],
  });
  app.decorate('metrics', registry);

  app.addHook('onRequest', async () => {
    inFlight.inc();
  });
  app.addHook('onResponse', async (req, reply) => {
    inFlight.dec();
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
};

export default fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
