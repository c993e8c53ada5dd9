import { randomUUID } from 'node:crypto';
import type { Logger } from '@flywheel/core';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { healthRoutes } from './http/health.routes';

export interface AppDeps {
  readonly logger: Logger;
}

/** Builds the gateway's HTTP app without listening, so tests can `inject` into it. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
  });
  await app.register(healthRoutes);
  return app;
}
