import { AuthQuery, MeResponse } from '@flywheel/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../plugins/auth.plugin';
import { errorResponses } from './error-responses';

/** `GET /me`: who the token belongs to. */
export const meRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/me',
    {
      config: { auth: 'read' },
      schema: {
        summary: 'Who the token belongs to',
        tags: ['auth'],
        querystring: AuthQuery,
        response: { 200: MeResponse, ...errorResponses() },
      },
    },
    async (request) => {
      const { user, workspace, role } = principalOf(request);
      return { user, workspace, role };
    },
  );
};
