import { listAgents } from '@flywheel/core';
import { AgentList, ConsistentQuery } from '@flywheel/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../plugins/auth.plugin';
import { errorResponses } from './error-responses';

/** `GET /agents`: the workspace's agent workers and their health, from the read model. */
export const agentsQueries: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const { consistent } = app.readModels;
  app.get(
    '/agents',
    {
      config: { auth: 'read' },
      schema: {
        summary: 'Agent workers of the workspace: status, capacity, sessions running, last seen',
        tags: ['agents'],
        querystring: ConsistentQuery,
        response: { 200: AgentList, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      await consistent(request, reply, 'agents');
      return { items: await listAgents(db, workspace) };
    },
  );
};
