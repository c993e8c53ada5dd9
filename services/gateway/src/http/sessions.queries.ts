import { getAggregateHistory, getSession, listOutput, listSessionsJson, NotFoundError } from '@flywheel/core';
import {
  ConsistentQuery,
  OutputPage,
  OutputQuery,
  SessionDetail,
  SessionHistory,
  SessionIdParams,
  SessionListQuery,
  SessionPage,
} from '@flywheel/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../plugins/auth.plugin';
import { errorResponses } from './error-responses';
import { fastSerializerCompiler } from './fast-serializer';
import { PageCache } from './page-cache';

const TAGS = ['sessions'];

/**
 * Session queries, answered from the read models. A detail waits (bounded) until its
 * model has applied the session's latest commit, so it is never older than the session
 * was when asked; lists wait only when given `consistentWith`.
 */
export const sessionsQueries: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const { cursors, consistent, detail, changes } = app.readModels;
  const pages = new PageCache(changes, 'sessions');

  app.get(
    '/sessions',
    {
      config: { auth: 'read' },
      serializerCompiler: fastSerializerCompiler,
      schema: {
        summary: 'Sessions of the workspace, newest first, by status and provider, one page at a time',
        tags: TAGS,
        querystring: SessionListQuery,
        response: { 200: SessionPage, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      const { status, provider, cursor, limit } = request.query;
      await consistent(request, reply, 'sessions');
      const key = `${workspace}\n${status ?? ''}\n${provider ?? ''}\n${cursor ?? ''}\n${limit}`;
      const page = await pages.get(key, () =>
        listSessionsJson(db, cursors, { workspace, status, provider, cursor, limit }),
      );
      // Postgres wrote the page's JSON with exactly the schema's fields, and Fastify sends a string
      // with a JSON content type as it is; the schema-typed reply cannot say so, hence the cast.
      return reply.type('application/json; charset=utf-8').send(page as unknown as SessionPage);
    },
  );

  app.get(
    '/sessions/:id',
    {
      config: { auth: 'read' },
      schema: {
        summary: 'One session with the time of each transition',
        tags: TAGS,
        params: SessionIdParams,
        querystring: ConsistentQuery,
        response: { 200: SessionDetail, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      const { id } = request.params;
      const session = await detail(
        request,
        reply,
        'sessions',
        { workspace, type: 'session', id },
        () => getSession(db, workspace, id),
        (s) => s.streamSeq,
      );
      if (session === null) throw new NotFoundError(`session ${id} does not exist`);
      return session;
    },
  );

  app.get(
    '/sessions/:id/events',
    {
      config: { auth: 'read' },
      schema: {
        summary: "A session's full history, oldest first",
        tags: TAGS,
        params: SessionIdParams,
        querystring: ConsistentQuery,
        response: { 200: SessionHistory, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      const { id } = request.params;
      const events = await detail(
        request,
        reply,
        'event-index',
        { workspace, type: 'session', id },
        async () => {
          const found = await getAggregateHistory(db, workspace, 'session', id);
          return found.length === 0 ? null : found;
        },
        (found) => found.at(-1)!.seq,
      );
      if (events === null) throw new NotFoundError(`session ${id} does not exist`);
      return { id, events, streamSeq: events.at(-1)!.seq };
    },
  );

  app.get(
    '/sessions/:id/output',
    {
      config: { auth: 'read' },
      serializerCompiler: fastSerializerCompiler,
      schema: {
        summary: "A session's output chunks in order, after a given chunk sequence",
        tags: TAGS,
        params: SessionIdParams,
        querystring: OutputQuery,
        response: { 200: OutputPage, ...errorResponses() },
      },
    },
    async (request) => {
      const { workspace } = principalOf(request);
      const { id } = request.params;
      const { after, limit } = request.query;
      const page = await listOutput(db, { workspace, sessionId: id, after, limit });
      if (page === null) throw new NotFoundError(`session ${id} does not exist`);
      return page;
    },
  );
};
