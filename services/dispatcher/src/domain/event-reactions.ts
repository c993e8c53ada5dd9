import type { AccountStatus, AgentStatus, DomainEvent } from '@flywheel/schemas';
import { addMs, type DispatchTimings, type TimerKind, type TimerSpec } from './timer-rules';

/** A stored event with what the dispatcher needs of its envelope. */
export type EventFact = DomainEvent & {
  readonly aggregateId: string;
  readonly workspace: string;
  /** ISO time the event was decided. */
  readonly at: string;
  /** Stream sequence of its commit. */
  readonly seq: number;
};

export interface SessionPatch {
  readonly status?: 'Queued' | 'Starting' | 'Running';
  readonly attempt?: number;
  readonly accountId?: string | null;
  readonly agentId?: string | null;
  readonly failedAccountId?: string | null;
  readonly waitingReason?: string | null;
  readonly waitingEta?: string | null;
}

export interface AccountPatch {
  readonly status?: AccountStatus;
  readonly cooldownUntil?: string | null;
  readonly errorReason?: string | null;
}

/**
 * One change to the dispatcher's tables. `seq` on session and account changes is the
 * event's stream sequence: a change older than what the row already reflects is skipped.
 */
export type Change =
  | {
      readonly op: 'session.queue';
      readonly seq: number;
      readonly sessionId: string;
      readonly workspace: string;
      readonly provider: string;
      readonly model: string | null;
      readonly prompt: string;
      readonly requestedAccountId: string | null;
    }
  | {
      readonly op: 'session.patch';
      readonly seq: number;
      readonly sessionId: string;
      readonly patch: SessionPatch;
    }
  | { readonly op: 'session.remove'; readonly sessionId: string }
  | {
      readonly op: 'account.link';
      readonly seq: number;
      readonly accountId: string;
      readonly workspace: string;
      readonly provider: string;
      readonly authType: 'api_key' | 'oauth';
      readonly baseUrl: string | null;
      readonly maxConcurrent: number;
    }
  | {
      readonly op: 'account.patch';
      readonly seq: number;
      readonly accountId: string;
      readonly patch: AccountPatch;
    }
  | { readonly op: 'account.used'; readonly accountId: string; readonly at: string }
  | {
      readonly op: 'agent.register';
      readonly agentId: string;
      readonly workspace: string;
      readonly providers: readonly string[];
      readonly capacity: number;
      readonly heardAt: string;
    }
  | { readonly op: 'agent.status'; readonly agentId: string; readonly status: AgentStatus }
  | { readonly op: 'timer.set'; readonly timer: TimerSpec }
  | { readonly op: 'timer.clear'; readonly kind: TimerKind; readonly key: string };

const clear = (kind: TimerKind, key: string): Change => ({ op: 'timer.clear', kind, key });

/**
 * What one event changes in the dispatcher's state and timers. Pure: the clock comes in as
 * `now`, used where an old event must not start a timer in the past (an agent registered
 * while this dispatcher was down still gets a full silence window).
 */
export function reactTo(e: EventFact, now: Date, timings: DispatchTimings): Change[] {
  const id = e.aggregateId;
  const { seq, workspace } = e;
  const timer = (kind: TimerKind, dueAt: string, payload: TimerSpec['payload'] = {}): Change => ({
    op: 'timer.set',
    timer: { kind, key: id, workspace, dueAt, payload },
  });
  const session = (patch: SessionPatch): Change => ({ op: 'session.patch', seq, sessionId: id, patch });
  const account = (patch: AccountPatch): Change => ({ op: 'account.patch', seq, accountId: id, patch });

  switch (e.type) {
    case 'SessionRequested':
      return [
        {
          op: 'session.queue',
          seq,
          sessionId: id,
          workspace,
          provider: e.data.provider,
          model: e.data.model,
          prompt: e.data.prompt,
          requestedAccountId: e.data.requestedAccountId,
        },
      ];
    case 'SessionWaiting':
      return [session({ waitingReason: e.data.reason, waitingEta: e.data.eta })];
    case 'SessionAssigned':
      return [
        session({ status: 'Starting', attempt: e.data.attempt, accountId: e.data.accountId, agentId: null }),
        { op: 'account.used', accountId: e.data.accountId, at: e.at },
        timer('start_timeout', addMs(e.at, timings.startTimeoutMs), { attempt: e.data.attempt }),
      ];
    case 'SessionStarted':
      return [session({ status: 'Running', agentId: e.data.agentId }), clear('start_timeout', id)];
    case 'SessionRequeued':
      return [
        session({
          status: 'Queued',
          accountId: null,
          agentId: null,
          failedAccountId: e.data.failedAccountId,
          waitingReason: e.data.reason,
          waitingEta: e.data.eta,
        }),
        clear('start_timeout', id),
      ];
    case 'SessionCompleted':
    case 'SessionFailed':
    case 'SessionCancelled':
      return [{ op: 'session.remove', sessionId: id }, clear('start_timeout', id)];

    case 'AccountLinked':
      return [
        {
          op: 'account.link',
          seq,
          accountId: id,
          workspace,
          provider: e.data.provider,
          authType: e.data.authType,
          baseUrl: e.data.baseUrl,
          maxConcurrent: e.data.maxConcurrent,
        },
        timer('verify', e.at, { attempt: 0 }),
      ];
    case 'AccountVerificationRequested':
      // A running cooldown is remembered by the account and put back after verification.
      return [
        account({ status: 'Verifying', cooldownUntil: null }),
        clear('cooldown_end', id),
        timer('verify', e.at, { attempt: 0 }),
      ];
    case 'AccountVerified':
      return [account({ status: 'Active', errorReason: null }), clear('verify', id)];
    case 'AccountErrored':
      return [
        account({ status: 'Error', errorReason: e.data.reason, cooldownUntil: null }),
        clear('verify', id),
        clear('cooldown_end', id),
      ];
    case 'AccountRateLimited':
      return [
        account({ status: 'Cooldown', cooldownUntil: e.data.until }),
        timer('cooldown_end', e.data.until),
      ];
    case 'AccountCooldownEnded':
      return [account({ status: 'Active', cooldownUntil: null }), clear('cooldown_end', id)];
    case 'AccountExpired':
      return [account({ status: 'Expired', cooldownUntil: null }), clear('cooldown_end', id)];
    case 'AccountReauthenticated':
      return [account({ status: 'Active' })];
    case 'AccountTokensRefreshed':
      return [];
    case 'AccountRevoked':
      return [
        account({ status: 'Revoked', cooldownUntil: null }),
        clear('verify', id),
        clear('cooldown_end', id),
      ];

    case 'AgentRegistered': {
      const heardAt = new Date(Math.max(Date.parse(e.at), now.getTime())).toISOString();
      return [
        {
          op: 'agent.register',
          agentId: id,
          workspace,
          providers: e.data.providers,
          capacity: e.data.maxConcurrent,
          heardAt,
        },
        timer('agent_silent', addMs(heardAt, timings.agentSilenceMs)),
      ];
    }
    case 'AgentDrainStarted':
      return [{ op: 'agent.status', agentId: id, status: 'Draining' }];
    case 'AgentResumed':
      return [{ op: 'agent.status', agentId: id, status: 'Online' }];
    case 'AgentWentOffline':
      return [
        { op: 'agent.status', agentId: id, status: 'Offline' },
        clear('agent_silent', id),
        timer('agent_lost', e.at),
      ];
  }
}
