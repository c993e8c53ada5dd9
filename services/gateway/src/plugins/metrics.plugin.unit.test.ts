import Fastify from 'fastify';
import { expect, it } from 'vitest';
import metricsPlugin from './metrics.plugin';

it('exposes request counts by route pattern and process memory in Prometheus text', async () => {
  const app = Fastify();
  await app.register(metricsPlugin);
  app.get('/api/v1/sessions/:id', async () => ({ ok: true }));
  await app.ready();
  await app.inject('/api/v1/sessions/ses_1');
  await app.inject('/api/v1/sessions/ses_2');
  await app.inject('/nowhere');

  const res = await app.inject('/metrics');
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(res.body).toContain(
    'flywheel_http_requests_total{method="GET",route="/api/v1/sessions/:id",status="200"} 2',
  );
  expect(res.body).toContain('flywheel_http_requests_total{method="GET",route="unmatched",status="404"} 1');
  expect(res.body).not.toContain('ses_1');
  expect(res.body).toMatch(/flywheel_gateway_process_resident_memory_bytes \d+/);
  await app.close();
});
