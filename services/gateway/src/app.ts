import { randomUUID } from 'node:crypto';
import type { Logger, NatsHandle, Topology } from '@flywheel/core';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { createTokenVerifier } from './auth/token-verifier';
import { accountsQueries } from './http/accounts.queries';
import { accountsRoutes } from './http/accounts.routes';
import { agentsQueries } from './http/agents.queries';
import { auditQueries } from './http/audit.queries';
import { healthRoutes } from './http/health.routes';
import { meRoutes } from './http/me.routes';
import { openapiRoutes } from './http/openapi.routes';
import { readyRoutes } from './http/ready.routes';
import { sessionsQueries } from './http/sessions.queries';
import { sessionsRoutes } from './http/sessions.routes';
import { uiPlugin } from './http/ui.plugin';
import { authPlugin } from './plugins/auth.plugin';
import { depsPlugin, type GatewayDeps } from './plugins/deps.plugin';
import { BODY_LIMIT_BYTES, errorHandlerPlugin, sendError } from './plugins/error-handler.plugin';
import { idempotencyPlugin } from './plugins/idempotency.plugin';
import metricsPlugin from './plugins/metrics.plugin';
import { openapiPlugin } from './plugins/openapi.plugin';
import projectionMetricsPlugin from './plugins/projection-metrics.plugin';
import { readModelsPlugin } from './plugins/read-models.plugin';
import wsPlugin from './ws/ws.plugin';

export const API_PREFIX = '/api/v1';

export interface AppDeps extends Omit<GatewayDeps, 'clock'> {
  readonly logger: Logger;
  /** For the live feeds of `/ws`, read straight from JetStream. */
  readonly nats: NatsHandle;
  readonly topology: Topology;
  readonly clock?: () => Date;
}

/** A `?token=` is a credential: request logs show the URL without it. */
function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

/** Builds the gateway's HTTP app without listening, so tests can `inject` into it. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child(
      {},
      {
        serializers: {
          req: (req: FastifyRequest) => ({
            method: req.method,
            url: redactUrl(req.url),
            remoteAddress: req.ip,
          }),
        },
      },
    ) as FastifyBaseLogger,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: BODY_LIMIT_BYTES,
    // Errors Fastify raises before routing (a malformed percent-encoding) get the same shape.
    frameworkErrors: (err, request, reply) => sendError(err, request, reply),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Commands are JSON only: anything else is a 415, not a string for the schema to reject.
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  await app.register(metricsPlugin);
  await app.register(depsPlugin, {
    config: deps.config,
    eventStore: deps.eventStore,
    db: deps.db,
    vault: deps.vault,
    clock: deps.clock ?? (() => new Date()),
  });
  await app.register(errorHandlerPlugin);
  await app.register(openapiPlugin);
  const tokens = createTokenVerifier(deps.config.jwtSecret);
  await app.register(authPlugin, { tokens, publicUrl: deps.config.publicUrl });
  await app.register(idempotencyPlugin, { db: deps.db });
  await app.register(readModelsPlugin);

  await app.register(healthRoutes);
  await app.register(readyRoutes, { nats: deps.nats, topology: deps.topology });
  await app.register(projectionMetricsPlugin, { nats: deps.nats, topology: deps.topology });
  await app.register(wsPlugin, {
    nats: deps.nats,
    topology: deps.topology,
    authenticate: (token) => tokens.verify(token),
  });
  await app.register(meRoutes, { prefix: API_PREFIX });
  await app.register(accountsRoutes, { prefix: API_PREFIX });
  await app.register(sessionsRoutes, { prefix: API_PREFIX });
  await app.register(accountsQueries, { prefix: API_PREFIX });
  await app.register(sessionsQueries, { prefix: API_PREFIX });
  await app.register(agentsQueries, { prefix: API_PREFIX });
  await app.register(auditQueries, { prefix: API_PREFIX });
  await app.register(openapiRoutes, { prefix: API_PREFIX });
  await app.register(uiPlugin, { buildDir: deps.config.uiBuildDir });
  return app;
}
