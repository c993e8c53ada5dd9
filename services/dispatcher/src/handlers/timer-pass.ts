import { randomUUID } from 'node:crypto';
import {
  CredentialUnavailableError,
  InvalidTransitionError,
  NotFoundError,
  type ProviderDriver,
  ProviderNotSupportedError,
} from '@flywheel/core';
import type { Provider, SessionEvent } from '@flywheel/schemas';
import { findAccount, findAgent, sessionsOfAgent } from '../adapters/lookup-store';
import { hasOutput } from '../adapters/output-probe';
import {
  type ClaimedTimer,
  claimDueTimers,
  finishTimer,
  nextTimerDue,
  rescheduleTimer,
} from '../adapters/timer-store';
import { reasons } from '../domain/dispatch-reasons';
import {
  addMs,
  agentLostCommand,
  agentSilence,
  type DispatchTimings,
  startTimeoutCommand,
  startTimeoutsSoFar,
  type TimerKind,
  verificationStep,
  verifyBackoffMs,
} from '../domain/timer-rules';
import type { DispatchDeps } from './dispatch-pass';

/** Where the vault's secrets come from: `reveal` as in `@flywheel/core`'s vault. */
export interface CredentialSource {
  reveal(workspace: string, accountId: string): Promise<string>;
}

export interface TimerDeps extends DispatchDeps {
  readonly timings: DispatchTimings;
  readonly credentials: CredentialSource;
  readonly driverFor: (provider: Provider) => ProviderDriver;
}

/** Timers claimed per pass. */
const CLAIM = 64;
/** How long a claimed timer stays with its dispatcher before another may fire it. */
const LEASE_MS = 30_000;
/** A timer whose action threw is tried again this much later. */
const RETRY_MS = 2_000;
/** Verification retries while the vault has no secret yet (the link may still be storing it). */
const CREDENTIAL_RETRIES = 5;

type Fired =
  | { readonly done: true }
  | { readonly done: false; readonly at: string; readonly payload?: Readonly<Record<string, unknown>> };
const DONE: Fired = { done: true };

async function endCooldown(deps: TimerDeps, t: ClaimedTimer, now: Date): Promise<Fired> {
  const r = await deps.commander.account(
    t.workspace,
    t.key,
    { type: 'EndCooldown', data: {} },
    (s) => s.status === 'Cooldown' && Date.parse(s.until) <= now.getTime(),
  );
  // A later limit extended the cooldown and its event has not reached our tables yet.
  if (r.events.length === 0 && r.state.status === 'Cooldown') return { done: false, at: r.state.until };
  deps.logger.info({ accountId: t.key }, 'cooldown ended');
  return DONE;
}

async function startTimeout(deps: TimerDeps, t: ClaimedTimer): Promise<Fired> {
  const attempt = Number(t.payload.attempt);
  const { events } = await deps.store.load<SessionEvent>({
    workspace: t.workspace,
    type: 'session',
    id: t.key,
  });
  const history = events.map((e) => ({ type: e.type, data: e.data }) as SessionEvent);
  const command = startTimeoutCommand(startTimeoutsSoFar(history), deps.timings);
  const r = await deps.commander.session(
    t.workspace,
    t.key,
    command,
    (s) => s.status === 'Starting' && s.attempts === attempt,
  );
  if (r.events.length > 0)
    deps.logger.warn({ sessionId: t.key, attempt }, `no agent started the session: ${command.type}`);
  return DONE;
}

async function agentSilent(deps: TimerDeps, t: ClaimedTimer, now: Date): Promise<Fired> {
  const agent = await findAgent(deps.db, t.key);
  if (agent === undefined || agent.status === 'Offline') return DONE;
  const silence = agentSilence(agent.lastHeartbeatAt, now, deps.timings);
  if (!silence.lost) return { done: false, at: silence.recheckAt };
  const r = await deps.commander.agent(
    agent.workspace,
    t.key,
    { type: 'MarkAgentOffline', data: { reason: reasons.agentSilent(deps.timings.agentSilenceMs) } },
    (s) => s.status === 'Online' || s.status === 'Draining',
  );
  if (r.events.length > 0) deps.logger.warn({ agentId: t.key }, 'agent went silent; marked Offline');
  return DONE;
}

async function agentLost(deps: TimerDeps, t: ClaimedTimer): Promise<Fired> {
  const sessions = await sessionsOfAgent(deps.db, t.key);
  await Promise.all(
    sessions.map(async (s) => {
      const output = await hasOutput(deps.nats, deps.topology, s.workspace, s.sessionId, s.attempt);
      const command = agentLostCommand(output);
      const r = await deps.commander.session(
        s.workspace,
        s.sessionId,
        command,
        (st) => st.status === 'Running' && st.agentId === t.key,
      );
      if (r.events.length > 0) {
        deps.logger.warn({ sessionId: s.sessionId, agentId: t.key }, `agent lost: ${r.events[0]!.type}`);
      }
    }),
  );
  return DONE;
}

async function verify(deps: TimerDeps, t: ClaimedTimer, now: Date): Promise<Fired> {
  const attempt = Number(t.payload.attempt ?? 0);
  const account = await findAccount(deps.db, t.key);
  if (account === undefined || account.status !== 'Verifying') return DONE;
  const retry = (inMs: number): Fired => ({
    done: false,
    at: addMs(now, inMs),
    payload: { attempt: attempt + 1 },
  });
  const record = (code: 'invalid_credential' | 'provider_error', reason: string) =>
    deps.commander.account(
      account.workspace,
      account.accountId,
      { type: 'RecordAccountError', data: { code, reason } },
      (s) => s.status === 'Verifying',
    );

  let secret: string;
  try {
    secret = await deps.credentials.reveal(account.workspace, account.accountId);
  } catch (err) {
    if (!(err instanceof CredentialUnavailableError)) throw err;
    if (attempt < CREDENTIAL_RETRIES) return retry(verifyBackoffMs(attempt, deps.timings));
    await record('invalid_credential', err.message);
    return DONE;
  }
  let driver: ProviderDriver;
  try {
    driver = deps.driverFor(account.provider as Provider);
  } catch (err) {
    if (!(err instanceof ProviderNotSupportedError)) throw err;
    await record('provider_error', err.message);
    return DONE;
  }
  const outcome = await driver.verify({ kind: account.authType, secret, baseUrl: account.baseUrl });
  const step = verificationStep(outcome, attempt, deps.timings);
  if (step.kind === 'retry') {
    deps.logger.info(
      { accountId: account.accountId, attempt },
      'provider unavailable; verification retried later',
    );
    return { done: false, at: addMs(now, step.inMs), payload: { attempt: step.attempt } };
  }
  const [first, ...rest] = step.commands;
  const r = await deps.commander.account(
    account.workspace,
    account.accountId,
    first!,
    (s) => s.status === 'Verifying',
  );
  if (r.events.length === 0) return DONE;
  for (const command of rest) await deps.commander.account(account.workspace, account.accountId, command);
  deps.logger.info({ accountId: account.accountId, outcome: outcome.kind }, 'account verified');
  return DONE;
}

const HANDLERS: Record<TimerKind, (deps: TimerDeps, t: ClaimedTimer, now: Date) => Promise<Fired>> = {
  cooldown_end: endCooldown,
  start_timeout: startTimeout,
  agent_silent: agentSilent,
  agent_lost: agentLost,
  verify,
};

async function fire(deps: TimerDeps, t: ClaimedTimer, now: Date): Promise<void> {
  try {
    const handler = HANDLERS[t.kind];
    const fired = handler === undefined ? DONE : await handler(deps, t, now);
    if (fired.done) await finishTimer(deps.db, t);
    else await rescheduleTimer(deps.db, t, fired.at, fired.payload);
  } catch (err) {
    if (err instanceof InvalidTransitionError || err instanceof NotFoundError) {
      // The aggregate moved on; the timer has nothing left to do.
      deps.logger.debug({ err, kind: t.kind, key: t.key }, 'timer no longer applies');
      await finishTimer(deps.db, t);
      return;
    }
    deps.logger.warn({ err, kind: t.kind, key: t.key }, `timer ${t.kind} failed: ${(err as Error).message}`);
    await rescheduleTimer(deps.db, t, addMs(deps.clock(), RETRY_MS));
  }
}

/**
 * Fires every due timer: claims them for a lease (`for update skip locked`, so replicas share
 * the work), runs them side by side, and deletes or re-arms each. Returns how long until the
 * next one is due.
 */
export async function timerPass(deps: TimerDeps): Promise<number | undefined> {
  const now = deps.clock();
  const claimed = await claimDueTimers(deps.db, now, CLAIM, LEASE_MS, randomUUID());
  await Promise.all(claimed.map((t) => fire(deps, t, now)));
  if (claimed.length === CLAIM) return 0;
  const next = await nextTimerDue(deps.db);
  return next === null ? undefined : Math.max(0, next.getTime() - deps.clock().getTime());
}
