import { getAccount, listAccounts, NotFoundError } from '@flywheel/core';
import {
  AccountDetail,
  AccountIdParams,
  AccountList,
  AccountListQuery,
  ConsistentQuery,
} from '@flywheel/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf } from '../plugins/auth.plugin';
import { errorResponses } from './error-responses';

const TAGS = ['accounts'];

/**
 * Account queries, answered from the read model: status, cooldown, error, how busy each
 * account is; never a credential (the response schemas are strict, so one cannot slip in).
 */
export const accountsQueries: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const { cursors, consistent, detail } = app.readModels;

  app.get(
    '/accounts',
    {
      config: { auth: 'read' },
      schema: {
        summary:
          'Accounts of the workspace in the order they were linked, by status and provider, one page at a time',
        tags: TAGS,
        querystring: AccountListQuery,
        response: { 200: AccountList, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      const { status, provider, cursor, limit } = request.query;
      await consistent(request, reply, 'accounts');
      return listAccounts(db, cursors, { workspace, status, provider, cursor, limit });
    },
  );

  app.get(
    '/accounts/:id',
    {
      config: { auth: 'read' },
      schema: {
        summary: 'One account; never its credential',
        tags: TAGS,
        params: AccountIdParams,
        querystring: ConsistentQuery,
        response: { 200: AccountDetail, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      const { id } = request.params;
      // A detail is never older than the account's latest commit when asked.
      const account = await detail(
        request,
        reply,
        'accounts',
        { workspace, type: 'account', id },
        () => getAccount(db, workspace, id),
        (a) => a.streamSeq,
      );
      if (account === null) throw new NotFoundError(`account ${id} does not exist`);
      return account;
    },
  );
};
