import type { AccountStatus } from '@flywheel/schemas';
import { reasons } from './dispatch-reasons';

/** A queued session as the planner needs it. */
export interface QueuedSessionView {
  readonly sessionId: string;
  readonly requestedAccountId: string | null;
  /** The account whose failure sent it back last; avoided while another can take it. */
  readonly failedAccountId: string | null;
  /** What the session last said it waits for, so an unchanged reason is not repeated. */
  readonly waitingReason: string | null;
  readonly waitingEta: string | null;
}

/** An account of the workspace as the planner needs it. */
export interface AccountView {
  readonly accountId: string;
  readonly provider: string;
  readonly status: AccountStatus;
  /** ISO time the cooldown ends; set while in Cooldown. */
  readonly cooldownUntil: string | null;
  readonly errorReason: string | null;
  readonly maxConcurrent: number;
  /** Sessions Starting or Running on it right now. */
  readonly running: number;
  /** ISO time it was last given a session; null when never. */
  readonly lastUsedAt: string | null;
}

/** One workspace's queue for one provider, with everything that decides where its sessions go. */
export interface PoolView {
  readonly provider: string;
  /** Every account of the workspace (any provider, so a wrong explicit account can be named). */
  readonly accounts: readonly AccountView[];
  /** Online agents serving the provider. */
  readonly agentsOnline: number;
  /** Sessions those agents can still take beyond what is already dispatched to them. */
  readonly agentSlots: number;
  /** Queued sessions, oldest first. */
  readonly sessions: readonly QueuedSessionView[];
}

export type Decision =
  | { readonly kind: 'assign'; readonly sessionId: string; readonly accountId: string }
  | {
      readonly kind: 'wait';
      readonly sessionId: string;
      readonly reason: string;
      readonly eta: string | null;
    }
  | { readonly kind: 'fail'; readonly sessionId: string; readonly reason: string };

type Outcome =
  | { readonly kind: 'assign'; readonly account: MutableAccount }
  | { readonly kind: 'wait'; readonly reason: string; readonly eta: string | null }
  | { readonly kind: 'fail'; readonly reason: string };

interface MutableAccount extends Omit<AccountView, 'running' | 'lastUsedAt'> {
  running: number;
  /** Epoch ms of the last use; -1 when never. Uses within the plan count after every real one. */
  lastUsed: number;
}

/** Larger than any real epoch ms (8.64e15 is the last Date), so a use in this plan sorts last. */
const PLAN_EPOCH = 8.64e15;

/** Least loaded first, then least recently used (never used first), then by id for a stable order. */
function preferred(a: MutableAccount, b: MutableAccount): number {
  return a.running - b.running || a.lastUsed - b.lastUsed || a.accountId.localeCompare(b.accountId);
}

const hasRoom = (a: MutableAccount) => a.status === 'Active' && a.running < a.maxConcurrent;

function earliestCooldown(accounts: readonly MutableAccount[]): string | null {
  let eta: string | null = null;
  for (const a of accounts) {
    if (a.status !== 'Cooldown' || a.cooldownUntil === null) continue;
    if (eta === null || Date.parse(a.cooldownUntil) < Date.parse(eta)) eta = a.cooldownUntil;
  }
  return eta;
}

/** Why no account of the pool can take a session right now. */
function poolWait(provider: string, accounts: readonly MutableAccount[]): Outcome {
  if (accounts.length === 0) return { kind: 'wait', reason: reasons.noAccount(provider), eta: null };
  if (accounts.some((a) => a.status === 'Active')) {
    return { kind: 'wait', reason: reasons.allBusy(provider), eta: null };
  }
  const eta = earliestCooldown(accounts);
  if (eta !== null) return { kind: 'wait', reason: reasons.allCooling(provider), eta };
  if (accounts.some((a) => a.status === 'Verifying')) {
    return { kind: 'wait', reason: reasons.verifying(provider), eta: null };
  }
  const counts = new Map<string, number>();
  for (const a of accounts) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  const summary = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
  return { kind: 'wait', reason: reasons.noUsableAccount(provider, summary), eta: null };
}

/** Where a session that asked for one account goes: that account, a wait, or a failure. */
function requested(
  session: QueuedSessionView,
  provider: string,
  all: ReadonlyMap<string, MutableAccount>,
): Outcome {
  const id = session.requestedAccountId!;
  const a = all.get(id);
  if (a === undefined) return { kind: 'fail', reason: reasons.requestedMissing(id) };
  if (a.provider !== provider) {
    return { kind: 'fail', reason: reasons.requestedOtherProvider(id, a.provider, provider) };
  }
  switch (a.status) {
    case 'Active':
      return a.running < a.maxConcurrent
        ? { kind: 'assign', account: a }
        : { kind: 'wait', reason: reasons.requestedBusy(id, a.maxConcurrent), eta: null };
    case 'Cooldown':
      return { kind: 'wait', reason: reasons.requestedCooling(id), eta: a.cooldownUntil };
    case 'Verifying':
      return { kind: 'wait', reason: reasons.requestedVerifying(id), eta: null };
    case 'Expired':
      return { kind: 'wait', reason: reasons.requestedExpired(id), eta: null };
    case 'Error':
    case 'Revoked':
      // Both need the user to act (a new key, a new account); waiting would hide that.
      return { kind: 'fail', reason: reasons.requestedUnusable(id, a.status, a.errorReason) };
  }
}

/** The best account of the pool with room, avoiding the one that just failed the session if it can. */
function choose(session: QueuedSessionView, pool: readonly MutableAccount[]): MutableAccount | null {
  let best: MutableAccount | null = null;
  let fallback: MutableAccount | null = null;
  for (const a of pool) {
    if (!hasRoom(a)) continue;
    if (a.accountId === session.failedAccountId) {
      fallback = a;
      continue;
    }
    if (best === null || preferred(a, best) < 0) best = a;
  }
  return best ?? fallback;
}

/**
 * Decides, for each queued session of a pool in queue order, whether it is assigned (and to
 * which account), keeps waiting (and why, with the ETA of the earliest cooldown end when
 * every account cools), or fails (an explicit account that can never run it). Assignments
 * count against accounts and agent slots as the plan goes, so one pass never overfills.
 * A wait identical to what the session already says is left out.
 */
export function planDispatch(pool: PoolView): Decision[] {
  const all = new Map<string, MutableAccount>(
    pool.accounts.map(({ lastUsedAt, ...a }) => [
      a.accountId,
      { ...a, lastUsed: lastUsedAt === null ? -1 : Date.parse(lastUsedAt) },
    ]),
  );
  let uses = 0;
  const own = [...all.values()].filter((a) => a.provider === pool.provider);
  let slots = pool.agentSlots;
  const decisions: Decision[] = [];
  for (const session of pool.sessions) {
    let outcome: Outcome;
    if (session.requestedAccountId !== null) {
      outcome = requested(session, pool.provider, all);
    } else {
      const account = choose(session, own);
      outcome = account === null ? poolWait(pool.provider, own) : { kind: 'assign', account };
    }
    if (outcome.kind === 'assign' && slots <= 0) {
      const reason =
        pool.agentsOnline === 0 ? reasons.noAgent(pool.provider) : reasons.agentsBusy(pool.provider);
      outcome = { kind: 'wait', reason, eta: null };
    }
    switch (outcome.kind) {
      case 'assign':
        outcome.account.running++;
        outcome.account.lastUsed = PLAN_EPOCH + ++uses;
        slots--;
        decisions.push({
          kind: 'assign',
          sessionId: session.sessionId,
          accountId: outcome.account.accountId,
        });
        break;
      case 'wait':
        if (session.waitingReason === outcome.reason && sameTime(session.waitingEta, outcome.eta)) break;
        decisions.push({
          kind: 'wait',
          sessionId: session.sessionId,
          reason: outcome.reason,
          eta: outcome.eta,
        });
        break;
      case 'fail':
        decisions.push({ kind: 'fail', sessionId: session.sessionId, reason: outcome.reason });
        break;
    }
  }
  return decisions;
}

function sameTime(a: string | null, b: string | null): boolean {
  return a === b || (a !== null && b !== null && Date.parse(a) === Date.parse(b));
}
