import type { VerifyOutcome } from '@flywheel/core';
import type { AccountCommand, SessionCommand, SessionEvent } from '@flywheel/schemas';
import { isStartTimeoutReason, reasons } from './dispatch-reasons';

/**
 * What the dispatcher must do later, kept as rows so that a restart or another replica fires
 * them: end a cooldown, give up on a session no agent started, notice a silent agent, deal
 * with a lost agent's sessions, (re)try a verification.
 */
export const TIMER_KINDS = ['cooldown_end', 'start_timeout', 'agent_silent', 'agent_lost', 'verify'] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export function isTimerKind(kind: string): kind is TimerKind {
  return (TIMER_KINDS as readonly string[]).includes(kind);
}

/** A timer to set: `key` is the account, session or agent id it is about; one timer per kind and key. */
export interface TimerSpec {
  readonly kind: TimerKind;
  readonly key: string;
  readonly workspace: string;
  readonly dueAt: string;
  readonly payload: Readonly<Record<string, number | string>>;
}

/** The timings a deployment may tune; tests shorten them. */
export interface DispatchTimings {
  /** How long a session may stay Starting before it is requeued (once) and then failed. */
  readonly startTimeoutMs: number;
  /** How long an agent may stay silent before it is declared Offline. */
  readonly agentSilenceMs: number;
  /** Longest wait between verification retries when the provider is unavailable. */
  readonly verifyMaxBackoffMs: number;
}

export const DEFAULT_TIMINGS: DispatchTimings = {
  startTimeoutMs: 60_000,
  agentSilenceMs: 15_000,
  verifyMaxBackoffMs: 5 * 60_000,
};

export const addMs = (iso: string | Date, ms: number): string =>
  new Date(new Date(iso).getTime() + ms).toISOString();

/** How often a session's history shows it requeued because no agent started it. */
export function startTimeoutsSoFar(history: readonly SessionEvent[]): number {
  return history.filter((e) => e.type === 'SessionRequeued' && isStartTimeoutReason(e.data.reason)).length;
}

/** A session still Starting when its timer fires: requeued the first time, failed the next. */
export function startTimeoutCommand(startTimeouts: number, timings: DispatchTimings): SessionCommand {
  if (startTimeouts === 0) {
    return {
      type: 'RequeueSession',
      data: { reason: reasons.startTimeout(timings.startTimeoutMs), failedAccountId: null, eta: null },
    };
  }
  return { type: 'FailSession', data: { reason: reasons.startTimeoutFinal } };
}

/**
 * A session its agent was running when the agent was lost: output already streamed to the
 * user cannot be taken back, so such a session fails; one that produced nothing runs again.
 */
export function agentLostCommand(hasOutput: boolean): SessionCommand {
  if (hasOutput) return { type: 'FailSession', data: { reason: reasons.agentLost } };
  return { type: 'RequeueSession', data: { reason: reasons.agentLost, failedAccountId: null, eta: null } };
}

/** Whether an agent last heard from at `lastHeartbeatAt` is lost at `now`, or when to look again. */
export function agentSilence(
  lastHeartbeatAt: string,
  now: Date,
  timings: DispatchTimings,
): { readonly lost: true } | { readonly lost: false; readonly recheckAt: string } {
  const deadline = Date.parse(lastHeartbeatAt) + timings.agentSilenceMs;
  return now.getTime() >= deadline
    ? { lost: true }
    : { lost: false, recheckAt: new Date(deadline).toISOString() };
}

/** Exponential backoff for verification retries: 1 s, 2 s, 4 s... capped. */
export function verifyBackoffMs(attempt: number, timings: DispatchTimings): number {
  return Math.min(timings.verifyMaxBackoffMs, 1000 * 2 ** Math.min(attempt, 30));
}

export type VerificationStep =
  | { readonly kind: 'record'; readonly commands: readonly AccountCommand[] }
  | { readonly kind: 'retry'; readonly inMs: number; readonly attempt: number };

/**
 * Turns a driver's verdict on a credential into account commands. A rate limit proves the
 * key works, so the account is verified and then cools down; an unavailable provider is
 * asked again later, the account staying Verifying.
 */
export function verificationStep(
  outcome: VerifyOutcome,
  attempt: number,
  timings: DispatchTimings,
): VerificationStep {
  switch (outcome.kind) {
    case 'ok':
      return { kind: 'record', commands: [{ type: 'RecordAccountVerified', data: {} }] };
    case 'rate_limited':
      return {
        kind: 'record',
        commands: [
          { type: 'RecordAccountVerified', data: {} },
          {
            type: 'RecordRateLimit',
            data: { until: outcome.until.toISOString(), source: outcome.source, sessionId: null },
          },
        ],
      };
    case 'credential_rejected':
      return {
        kind: 'record',
        commands: [{ type: 'RecordAccountError', data: { code: outcome.code, reason: outcome.reason } }],
      };
    case 'unavailable':
      return { kind: 'retry', inMs: verifyBackoffMs(attempt, timings), attempt: attempt + 1 };
  }
}
