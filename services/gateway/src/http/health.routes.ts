import type { FastifyPluginAsync } from 'fastify';
import { VERSION } from '../version';

/** Liveness: answers as long as the process can serve HTTP, whatever its dependencies do. */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const started = Date.now();
  app.get(
    '/health',
    {
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['status', 'version', 'uptimeSeconds'],
            properties: {
              status: { type: 'string', enum: ['ok'] },
              version: { type: 'string' },
              uptimeSeconds: { type: 'number' },
            },
          },
        },
      },
    },
    async () => ({
      status: 'ok' as const,
      version: VERSION,
      uptimeSeconds: Math.floor((Date.now() - started) / 1000),
    }),
  );
};
