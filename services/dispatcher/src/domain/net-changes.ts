import type { AccountPatch, Change, SessionPatch } from './event-reactions';
import type { TimerKind, TimerSpec } from './timer-rules';

type Of<K extends Change['op']> = Extract<Change, { readonly op: K }>;

/** What a batch of changes does to one session row, all said and done. */
export type NetSession =
  | { readonly kind: 'removed' }
  | {
      readonly kind: 'upsert';
      /** The row to insert (`seq`: its queue position) when the batch queued the session; null when it only changes it. */
      readonly queued: Omit<Of<'session.queue'>, 'op'> | null;
      readonly patch: SessionPatch;
      /** Stream sequence of the last change: the row's version afterwards. */
      readonly version: number;
    };

export interface NetAccount {
  readonly linked: Omit<Of<'account.link'>, 'op' | 'seq'> | null;
  readonly patch: AccountPatch;
  /** 0 when only `usedAt` changes. */
  readonly version: number;
  readonly usedAt: string | null;
}

export type NetTimer =
  | { readonly op: 'set'; readonly timer: TimerSpec }
  | { readonly op: 'clear'; readonly kind: TimerKind; readonly key: string };

/** The net effect of a batch of changes: at most one write per row, so a batch costs a few statements. */
export interface NetChanges {
  readonly sessions: ReadonlyMap<string, NetSession>;
  readonly accounts: ReadonlyMap<string, NetAccount>;
  /** Agent changes are rare and order-sensitive (register, then status): kept as they came. */
  readonly agents: readonly (Of<'agent.register'> | Of<'agent.status'>)[];
  readonly timers: ReadonlyMap<`${TimerKind}:${string}`, NetTimer>;
}

const later = (a: string | null, b: string) => (a === null || Date.parse(b) > Date.parse(a) ? b : a);

/**
 * Folds a batch of changes, in stream order, into one net change per row: later fields win,
 * a removal wins over everything before it, the last timer operation on a key wins. Applying
 * the result equals applying the changes one by one, with a fraction of the round trips.
 */
export function netChanges(changes: readonly Change[]): NetChanges {
  const sessions = new Map<string, NetSession>();
  const accounts = new Map<string, NetAccount>();
  const agents: (Of<'agent.register'> | Of<'agent.status'>)[] = [];
  const timers = new Map<`${TimerKind}:${string}`, NetTimer>();
  const noAccount = (): NetAccount => ({ linked: null, patch: {}, version: 0, usedAt: null });

  for (const c of changes) {
    switch (c.op) {
      case 'session.queue': {
        const { op: _op, ...queued } = c;
        sessions.set(c.sessionId, { kind: 'upsert', queued, patch: {}, version: c.seq });
        break;
      }
      case 'session.patch': {
        const s = sessions.get(c.sessionId);
        if (s?.kind === 'removed') break;
        sessions.set(c.sessionId, {
          kind: 'upsert',
          queued: s?.queued ?? null,
          patch: { ...s?.patch, ...c.patch },
          version: Math.max(s?.version ?? 0, c.seq),
        });
        break;
      }
      case 'session.remove':
        sessions.set(c.sessionId, { kind: 'removed' });
        break;
      case 'account.link': {
        const { op: _op, seq, ...linked } = c;
        const a = accounts.get(c.accountId) ?? noAccount();
        accounts.set(c.accountId, { ...a, linked, version: Math.max(a.version, seq) });
        break;
      }
      case 'account.patch': {
        const a = accounts.get(c.accountId) ?? noAccount();
        accounts.set(c.accountId, {
          ...a,
          patch: { ...a.patch, ...c.patch },
          version: Math.max(a.version, c.seq),
        });
        break;
      }
      case 'account.used': {
        const a = accounts.get(c.accountId) ?? noAccount();
        accounts.set(c.accountId, { ...a, usedAt: later(a.usedAt, c.at) });
        break;
      }
      case 'agent.register':
      case 'agent.status':
        agents.push(c);
        break;
      case 'timer.set':
        timers.set(`${c.timer.kind}:${c.timer.key}`, { op: 'set', timer: c.timer });
        break;
      case 'timer.clear':
        timers.set(`${c.kind}:${c.key}`, { op: 'clear', kind: c.kind, key: c.key });
        break;
    }
  }
  return { sessions, accounts, agents, timers };
}
