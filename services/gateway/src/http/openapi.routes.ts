import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const OpenApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

/** `GET /openapi.json`: the OpenAPI document built from the routes' own schemas; no token needed. */
export const openapiRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/openapi.json',
    {
      config: { auth: 'public' },
      schema: {
        summary: 'This API as an OpenAPI 3.1 document',
        tags: ['meta'],
        security: [],
        response: { 200: OpenApiDocument },
      },
    },
    async () => app.swagger() as z.infer<typeof OpenApiDocument>,
  );
};
