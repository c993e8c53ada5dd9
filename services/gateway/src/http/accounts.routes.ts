import { accountEvolver, decideAccount, fingerprint, ID_PREFIXES, type StreamRef } from '@flywheel/core';
import { AccountIdParams, AccountView, AuthQuery, EmptyBody, LinkAccountBody } from '@flywheel/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { executeCommand } from '../commands/execute-command';
import { principalOf } from '../plugins/auth.plugin';
import { accountView } from './account.view';
import { commandOptions, creationId } from './command-options';
import { COMMAND_ERRORS, errorResponses } from './error-responses';

const TAGS = ['accounts'];

/** Account commands; reads are answered from the read model (accounts.queries.ts). */
export const accountsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { eventStore, vault, clock } = app.deps;
  const ref = (workspace: string, id: string): StreamRef => ({ workspace, type: 'account', id });

  app.post(
    '/accounts',
    {
      config: { auth: 'accounts.link' },
      schema: {
        summary: 'Link an API-key account; the key goes to the vault and is never shown again',
        tags: TAGS,
        querystring: AuthQuery,
        body: LinkAccountBody,
        response: { 201: AccountView, ...COMMAND_ERRORS },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      const body = request.body;
      const id = creationId(request, ID_PREFIXES.account);
      // The key is stored before the account exists, so whoever verifies the new account
      // always finds its credential. A retry with the same key keeps the first copy.
      await vault.store(workspace, id, body.apiKey);
      const now = clock();
      const result = await executeCommand(
        eventStore,
        ref(workspace, id),
        accountEvolver,
        (state) =>
          decideAccount(
            {
              type: 'LinkAccount',
              data: {
                provider: body.provider,
                label: body.label,
                authType: 'api_key',
                fingerprint: fingerprint(body.apiKey),
                baseUrl: body.baseUrl ?? null,
                maxConcurrent: body.maxConcurrent,
              },
            },
            state,
            { now },
          ),
        commandOptions(request, now),
        'create',
      );
      return reply
        .code(201)
        .header('location', `/api/v1/accounts/${id}`)
        .send(accountView(id, result.state, result.version));
    },
  );

  app.post(
    '/accounts/:id/verify',
    {
      config: { auth: 'accounts.verify' },
      schema: {
        summary: "Check the account's credential again; the outcome arrives as a status change",
        tags: TAGS,
        params: AccountIdParams,
        querystring: AuthQuery,
        body: EmptyBody,
        response: { 202: AccountView, ...COMMAND_ERRORS },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const now = clock();
      const result = await executeCommand(
        eventStore,
        ref(principalOf(request).workspace, id),
        accountEvolver,
        (state) => decideAccount({ type: 'RequestAccountVerification', data: {} }, state, { now }),
        commandOptions(request, now),
        'update',
      );
      return reply.code(202).send(accountView(id, result.state, result.version));
    },
  );

  app.delete(
    '/accounts/:id',
    {
      config: { auth: 'accounts.revoke' },
      schema: {
        summary: 'Revoke an account for good and destroy its credential',
        tags: TAGS,
        params: AccountIdParams,
        querystring: AuthQuery,
        body: EmptyBody,
        response: { 200: AccountView, ...errorResponses(409, 413, 415) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const now = clock();
      const result = await executeCommand(
        eventStore,
        ref(principalOf(request).workspace, id),
        accountEvolver,
        // Revoking twice is not an error: the second call only makes sure the key is gone.
        (state) =>
          state.status === 'Revoked'
            ? []
            : decideAccount({ type: 'RevokeAccount', data: { reason: null } }, state, { now }),
        commandOptions(request, now),
        'update',
      );
      // Crypto-shredding after the commit: if this fails, repeating the DELETE finishes it.
      await vault.destroy(id);
      return accountView(id, result.state, result.version);
    },
  );
};
