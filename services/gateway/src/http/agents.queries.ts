import { listAgents } from '@flywheel/core';
import { AgentList, AgentListQuery } from '@flywheel/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../plugins/auth.plugin';
import { errorResponses } from './error-responses';

/** `GET /agents`: the agent workers and their health, from the read model, one page at a time. */
export const agentsQueries: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const { cursors, consistent } = app.readModels;
  app.get(
    '/agents',
    {
      config: { auth: 'read' },
      schema: {
        summary:
          'Agent workers in registration order, by status and provider: capacity, sessions running, last seen',
        tags: ['agents'],
        querystring: AgentListQuery,
        response: { 200: AgentList, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      const { status, provider, cursor, limit } = request.query;
      await consistent(request, reply, 'agents');
      return listAgents(db, cursors, { workspace, status, provider, cursor, limit });
    },
  );
};
