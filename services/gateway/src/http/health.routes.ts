import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { VERSION } from '../version';

const Health = z.strictObject({
  status: z.literal('ok'),
  version: z.string(),
  uptimeSeconds: z.number(),
});

/** Liveness: answers as long as the process can serve HTTP, whatever its dependencies do. */
export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const started = Date.now();
  app.get(
    '/health',
    {
      config: { auth: 'public' },
      schema: { summary: 'Liveness', tags: ['meta'], security: [], response: { 200: Health } },
    },
    async () => ({
      status: 'ok' as const,
      version: VERSION,
      uptimeSeconds: Math.floor((Date.now() - started) / 1000),
    }),
  );
};
