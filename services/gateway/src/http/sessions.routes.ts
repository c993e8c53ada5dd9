import {
  accountEvolver,
  decideSession,
  ID_PREFIXES,
  NotFoundError,
  type StreamRef,
  sessionEvolver,
  ValidationError,
} from '@flywheel/core';
import {
  AuthQuery,
  CancelSessionBody,
  DEFAULT_SESSION_ATTEMPTS,
  type Provider,
  SessionAccepted,
  SessionIdParams,
  SessionView,
  StartSessionBody,
} from '@flywheel/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { executeCommand, loadState } from '../commands/execute-command';
import { principalOf } from '../plugins/auth.plugin';
import { linkedAccount } from './account.view';
import { commandOptions, creationId } from './command-options';
import { COMMAND_ERRORS } from './error-responses';
import { sessionView } from './session.view';

const TAGS = ['sessions'];

/** Session commands; reads are answered from the read models (sessions.queries.ts). */
export const sessionsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { eventStore, clock } = app.deps;
  const ref = (workspace: string, id: string): StreamRef => ({ workspace, type: 'session', id });

  /** An explicitly requested account must exist in the workspace, serve the provider and not be revoked. */
  async function checkRequestedAccount(workspace: string, accountId: string, provider: Provider) {
    const bad = (message: string) =>
      new ValidationError(`accountId: ${message}`, {
        details: { issues: [{ path: 'body.accountId', message }] },
      });
    let account: ReturnType<typeof linkedAccount>;
    try {
      const { state } = await loadState(
        eventStore,
        { workspace, type: 'account', id: accountId },
        accountEvolver,
      );
      account = linkedAccount(accountId, state);
    } catch (err) {
      if (err instanceof NotFoundError) throw bad(`no account ${accountId} in this workspace`);
      throw err;
    }
    if (account.provider !== provider) throw bad(`account ${accountId} is a ${account.provider} account`);
    if (account.status === 'Revoked') throw bad(`account ${accountId} is revoked`);
  }

  app.post(
    '/sessions',
    {
      config: { auth: 'sessions.start' },
      schema: {
        summary: 'Start a session: queue a prompt for an agent',
        tags: TAGS,
        querystring: AuthQuery,
        body: StartSessionBody,
        response: { 202: SessionAccepted, ...COMMAND_ERRORS },
      },
    },
    async (request, reply) => {
      const { workspace } = principalOf(request);
      const body = request.body;
      if (body.accountId !== undefined) await checkRequestedAccount(workspace, body.accountId, body.provider);
      const id = creationId(request, ID_PREFIXES.session);
      const now = clock();
      const result = await executeCommand(
        eventStore,
        ref(workspace, id),
        sessionEvolver,
        (state) =>
          decideSession(
            {
              type: 'StartSession',
              data: {
                provider: body.provider,
                prompt: body.prompt,
                model: body.model ?? null,
                requestedAccountId: body.accountId ?? null,
                metadata: body.metadata ?? {},
                maxAttempts: DEFAULT_SESSION_ATTEMPTS,
              },
            },
            state,
            { now },
          ),
        commandOptions(request, now),
        'create',
      );
      return reply.code(202).send({ id, status: 'Queued', streamSeq: result.version });
    },
  );

  app.post(
    '/sessions/:id/cancel',
    {
      config: { auth: 'sessions.cancel' },
      schema: {
        summary: 'Cancel a session that has not finished',
        tags: TAGS,
        params: SessionIdParams,
        querystring: AuthQuery,
        body: CancelSessionBody,
        response: { 200: SessionView, ...COMMAND_ERRORS },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { id } = request.params;
      const reason = request.body?.reason ?? `cancelled by ${principal.user}`;
      const now = clock();
      const result = await executeCommand(
        eventStore,
        ref(principal.workspace, id),
        sessionEvolver,
        (state) => decideSession({ type: 'CancelSession', data: { reason } }, state, { now }),
        commandOptions(request, now),
        'update',
      );
      return sessionView(id, result.state, result.version);
    },
  );
};
