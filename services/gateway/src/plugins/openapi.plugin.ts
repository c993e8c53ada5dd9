import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { VERSION } from '../version';

/**
 * Collects every route's zod schemas into an OpenAPI 3.1 document (served by
 * `openapi.routes.ts`). Registered before the routes, which it observes as they are added.
 */
export const openapiPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Flywheel Gateway',
          version: VERSION,
          description:
            'Control plane for AI coding-agent sessions. Errors are { error: { code, message, details? }, requestId }. ' +
            'POST accepts an Idempotency-Key header (kept 24 h): a retry gets the first answer.',
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            cookie: { type: 'apiKey', in: 'cookie', name: 'fw_token' },
          },
        },
        security: [{ bearer: [] }, { cookie: [] }],
      },
      transform: jsonSchemaTransform,
      transformObject: jsonSchemaTransformObject,
    });
  },
  { name: 'openapi' },
);
