import {
  type AccountState,
  type AgentState,
  accountEvolver,
  agentEvolver,
  CredentialUnavailableError,
  decideAccount,
  decideAgent,
  decideSession,
  type EventStore,
  type Evolver,
  ForbiddenError,
  INITIAL,
  InvalidTransitionError,
  type Logger,
  NotFoundError,
  type RunningSession,
  type SessionState,
  type StoredEvent,
  type StreamRef,
  sessionEvolver,
  type Vault,
} from '@flywheel/core';
import {
  AGENTS_WORKSPACE,
  type AgentReplyData,
  type AgentRequest,
  type AgentRpcOp,
  LEASE_TTL_MS,
} from '@flywheel/schemas';
import { executeCommand, loadState } from '../commands/execute-command';

/** Who asked and when; `agentId` is the verified token's subject. */
export interface AgentRequestContext {
  readonly agentId: string;
  readonly requestId: string;
  readonly now: Date;
}

export type AgentHandler<Op extends AgentRpcOp> = (
  request: AgentRequest<Op>,
  ctx: AgentRequestContext,
) => Promise<AgentReplyData<Op>>;

export type AgentHandlers = { readonly [Op in AgentRpcOp]: AgentHandler<Op> };

export interface AgentHandlerDeps {
  readonly eventStore: EventStore;
  readonly vault: Pick<Vault, 'reveal'>;
  readonly logger: Logger;
}

const agentRef = (agentId: string): StreamRef => ({
  workspace: AGENTS_WORKSPACE,
  type: 'agent',
  id: agentId,
});
const sessionRef = (r: { workspace: string; sessionId: string }): StreamRef => ({
  workspace: r.workspace,
  type: 'session',
  id: r.sessionId,
});
const accountRef = (workspace: string, accountId: string): StreamRef => ({
  workspace,
  type: 'account',
  id: accountId,
});

/**
 * Append options for one commit of an agent's request. The command id is derived from the
 * request id, so an agent retrying a request (same id) is answered from the first commit.
 */
function appendOptions(ctx: AgentRequestContext, step: string, correlationId: string) {
  const commandId = `${ctx.agentId}:${ctx.requestId}:${step}`;
  return {
    commandId,
    actor: { kind: 'agent' as const, id: ctx.agentId },
    correlationId,
    causationId: `${ctx.agentId}:${ctx.requestId}`,
    now: ctx.now,
  };
}

/**
 * The session must be Running this attempt on the requesting agent. Not running at all is
 * an invalid transition (so a retry of a request that already moved it on is recognised);
 * someone else's run is forbidden.
 */
function requireOwnRun(
  state: SessionState,
  agentId: string,
  attempt: number,
  command: string,
): RunningSession {
  if (state.status === INITIAL) throw new NotFoundError('session does not exist');
  if (state.status !== 'Running') {
    throw new InvalidTransitionError(`session is ${state.status}; only a Running session takes ${command}`, {
      details: { status: state.status, command },
    });
  }
  if (state.agentId !== agentId) {
    throw new ForbiddenError(`session runs on another agent; agent ${agentId} may not act on it`);
  }
  if (state.attempts !== attempt) {
    throw new ForbiddenError(
      `session is on attempt ${state.attempts}; a request for attempt ${attempt} is stale`,
    );
  }
  return state;
}

/** An agent that may take new work: registered and Online. */
function requireOnline(state: AgentState, agentId: string): void {
  switch (state.status) {
    case INITIAL:
      throw new ForbiddenError(`agent ${agentId} is not registered; send register first`);
    case 'Online':
      return;
    case 'Draining':
      throw new ForbiddenError(`agent ${agentId} is draining and takes no new work`);
    case 'Offline':
      throw new ForbiddenError(`agent ${agentId} was marked Offline (${state.reason}); register again`);
  }
}

/** Folds stored events into state with an aggregate's evolver. */
function fold<S>(evolver: Evolver<S, never>, events: readonly StoredEvent[]): S {
  return events.reduce((s, e) => evolver.evolve(s, e as never), evolver.initialState());
}

function accountLabel(state: AccountState, accountId: string): string {
  return state.status === INITIAL ? accountId : state.label;
}

/** The handlers behind `fw.rpc.agent.<op>`: each checks the agent's right to act, then runs commands. */
export function createAgentHandlers(deps: AgentHandlerDeps): AgentHandlers {
  const { eventStore: store, vault } = deps;

  const agentState = async (agentId: string): Promise<AgentState> =>
    fold(agentEvolver, (await store.load(agentRef(agentId))).events);
  const accountState = async (workspace: string, accountId: string): Promise<AccountState> =>
    fold(accountEvolver, (await store.load(accountRef(workspace, accountId))).events);

  return {
    async register(req, ctx) {
      const ref = agentRef(ctx.agentId);
      const data = {
        name: req.name,
        providers: req.providers,
        maxConcurrent: req.maxConcurrent,
        version: req.version,
      };
      // A draining agent that registers again was restarted: it takes work again.
      await executeCommand(
        store,
        ref,
        agentEvolver,
        (s) => (s.status === 'Draining' ? decideAgent({ type: 'ResumeAgent', data: {} }, s, ctx) : []),
        appendOptions(ctx, 'resume', ctx.agentId),
        'update',
      );
      const result = await executeCommand(
        store,
        ref,
        agentEvolver,
        (s) => decideAgent({ type: 'RegisterAgent', data }, s, ctx),
        appendOptions(ctx, 'register', ctx.agentId),
        'update',
      );
      return { version: result.version };
    },

    async drain(_req, ctx) {
      const result = await executeCommand(
        store,
        agentRef(ctx.agentId),
        agentEvolver,
        // Draining twice (a retried SIGTERM) is not an error.
        (s) => (s.status === 'Draining' ? [] : decideAgent({ type: 'DrainAgent', data: {} }, s, ctx)),
        appendOptions(ctx, 'drain', ctx.agentId),
        'update',
      );
      return { version: result.version };
    },

    async started(req, ctx) {
      const agent = await agentState(ctx.agentId);
      requireOnline(agent, ctx.agentId);
      const result = await executeCommand(
        store,
        sessionRef(req),
        sessionEvolver,
        (s) => {
          // This agent already started this attempt (its reply was lost, the work item came
          // back): it may run it again; nothing new is recorded.
          if (s.status === 'Running' && s.agentId === ctx.agentId && s.attempts === req.attempt) return [];
          if (s.status === 'Running') {
            throw new ForbiddenError(`session runs on another agent; agent ${ctx.agentId} may not start it`);
          }
          if (s.status !== INITIAL && agent.status !== INITIAL && !agent.providers.includes(s.provider)) {
            throw new ForbiddenError(`agent ${ctx.agentId} did not register for provider ${s.provider}`);
          }
          return decideSession(
            { type: 'MarkSessionStarted', data: { agentId: ctx.agentId, attempt: req.attempt } },
            s,
            ctx,
          );
        },
        appendOptions(ctx, 'started', req.sessionId),
        'update',
      );
      return { version: result.version };
    },

    async completed(req, ctx) {
      const { outputChunks, inputTokens, outputTokens } = req;
      const result = await executeCommand(
        store,
        sessionRef(req),
        sessionEvolver,
        (s) =>
          decideSession(
            {
              type: 'CompleteSession',
              data: {
                agentId: requireOwnRun(s, ctx.agentId, req.attempt, 'completed').agentId,
                outputChunks,
                inputTokens,
                outputTokens,
              },
            },
            s,
            ctx,
          ),
        appendOptions(ctx, 'completed', req.sessionId),
        'update',
      );
      return { version: result.version };
    },

    async failed(req, ctx) {
      const result = await executeCommand(
        store,
        sessionRef(req),
        sessionEvolver,
        (s) => {
          requireOwnRun(s, ctx.agentId, req.attempt, 'failed');
          // A retryable failure is not the account's fault: back to the queue (bounded by the
          // session's attempts), any account may take it.
          return req.retryable
            ? decideSession(
                { type: 'RequeueSession', data: { reason: req.reason, failedAccountId: null, eta: null } },
                s,
                ctx,
              )
            : decideSession({ type: 'FailSession', data: { reason: req.reason } }, s, ctx);
        },
        appendOptions(ctx, 'failed', req.sessionId),
        'update',
      );
      return { version: result.version };
    },

    async outcome(req, ctx) {
      const ref = sessionRef(req);
      const sessionStep = appendOptions(ctx, 'session', req.sessionId);
      const loaded = await store.load(ref);
      // A retry of an outcome that went through finds the session already moved on: answer
      // with the first commit instead of refusing.
      const earlier = loaded.events.find((e) => e.id.startsWith(`${sessionStep.commandId}.`));
      if (earlier) return { version: earlier.seq };
      const state = fold(sessionEvolver, loaded.events);
      // The account is the session's own, never one the agent names.
      const { accountId } = requireOwnRun(state, ctx.agentId, req.attempt, 'outcome');
      const account = accountRef(req.workspace, accountId);
      const { outcome } = req;
      let label = accountId;
      // Account first: by the time the session is back in the queue, the dispatcher must
      // already see the account cooling (or in Error) and not pick it again.
      try {
        const result = await executeCommand(
          store,
          account,
          accountEvolver,
          (a) =>
            decideAccount(
              outcome.kind === 'rate_limited'
                ? {
                    type: 'RecordRateLimit',
                    data: { until: outcome.until, source: outcome.source, sessionId: req.sessionId },
                  }
                : { type: 'RecordAccountError', data: { code: outcome.code, reason: outcome.reason } },
              a,
              ctx,
            ),
          appendOptions(ctx, 'account', req.sessionId),
          'update',
        );
        label = accountLabel(result.state, accountId);
      } catch (err) {
        // The account may have moved on (revoked, already in Error); the session still fails over.
        if (!(err instanceof InvalidTransitionError || err instanceof NotFoundError)) throw err;
        deps.logger.warn(
          { accountId, sessionId: req.sessionId, err: err.message },
          'account outcome not recorded',
        );
        label = accountLabel(await accountState(req.workspace, accountId), accountId);
      }
      const reason =
        outcome.kind === 'rate_limited'
          ? `rate limited on ${label}`
          : `credential rejected on ${label} (${outcome.code.replaceAll('_', ' ')})`;
      const result = await executeCommand(
        store,
        ref,
        sessionEvolver,
        (s) => {
          requireOwnRun(s, ctx.agentId, req.attempt, 'outcome');
          return decideSession(
            { type: 'RequeueSession', data: { reason, failedAccountId: accountId, eta: null } },
            s,
            ctx,
          );
        },
        sessionStep,
        'update',
      );
      return { version: result.version };
    },

    async lease(req, ctx) {
      const { state } = await loadState(store, sessionRef(req), sessionEvolver);
      const { accountId } = requireOwnRun(state, ctx.agentId, req.attempt, 'a credential lease');
      const account = await accountState(req.workspace, accountId);
      if (account.status === INITIAL) throw new NotFoundError(`account ${accountId} does not exist`);
      if (account.status === 'Revoked') {
        throw new CredentialUnavailableError(
          `account ${account.label} was revoked; its credential is destroyed`,
        );
      }
      const secret = await vault.reveal(req.workspace, accountId);
      deps.logger.info({ sessionId: req.sessionId, accountId, agentId: ctx.agentId }, 'credential leased');
      return {
        secret,
        kind: account.authType,
        baseUrl: account.baseUrl,
        expiresAt: new Date(ctx.now.getTime() + LEASE_TTL_MS).toISOString(),
      };
    },
  };
}
