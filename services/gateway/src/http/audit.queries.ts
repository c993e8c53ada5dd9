import { listAuditEvents } from '@flywheel/core';
import { AuditPage, AuditQuery } from '@flywheel/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../plugins/auth.plugin';
import { errorResponses } from './error-responses';

/** `GET /events`: the audit log, every event of the workspace from the event index (admins). */
export const auditQueries: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const { cursors, consistent } = app.readModels;
  app.get(
    '/events',
    {
      config: { auth: 'audit.read' },
      schema: {
        summary:
          'Audit log: events of the workspace, newest first, by aggregate, type or actor, one page at a time',
        tags: ['audit'],
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      await consistent(request, reply, 'event-index');
      return listAuditEvents(db, cursors, { workspace, ...request.query });
    },
  );
};
