import type { DomainEvent } from '@flywheel/schemas';

/** How a line should stand out: a normal step, good news, something to notice, a failure. */
export const TONES = ['plain', 'good', 'notice', 'bad'] as const;
export type Tone = (typeof TONES)[number];

/** One transition as the demo prints it: who, what happened, the details. */
export interface EventLine {
  readonly who: string;
  readonly what: string;
  readonly detail: string;
  readonly tone: Tone;
}

/** An event with the envelope fields the demo shows. */
export type DemoEvent = DomainEvent & { readonly aggregateId: string; readonly at: string };

/** Short names for ids: account labels, and session ids cut to what tells them apart. */
export interface DemoNames {
  account(id: string): string;
}

const clock = (iso: string) => new Date(iso).toTimeString().slice(0, 8);
const seconds = (from: string, to: string) =>
  Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
const shortId = (id: string) => (id.length > 12 ? `${id.slice(0, 12)}…` : id);
const quote = (text: string) => `"${text.length > 48 ? `${text.slice(0, 47)}…` : text}"`;

/** Describes one event in a line a person can follow live; null for events not worth a line. */
export function describeEvent(e: DemoEvent, names: DemoNames): EventLine | null {
  const session = (what: string, detail: string, tone: Tone = 'plain'): EventLine => ({
    who: shortId(e.aggregateId),
    what,
    detail,
    tone,
  });
  const account = (what: string, detail: string, tone: Tone): EventLine => ({
    who: names.account(e.aggregateId),
    what,
    detail,
    tone,
  });
  const agent = (what: string, detail: string, tone: Tone): EventLine => ({
    who: `agent ${e.aggregateId}`,
    what,
    detail,
    tone,
  });
  switch (e.type) {
    case 'SessionRequested':
      return session('queued', quote(e.data.prompt));
    case 'SessionWaiting':
      return session(
        'waiting',
        e.data.eta === null
          ? e.data.reason
          : `${e.data.reason}; ETA ${clock(e.data.eta)} (in ${seconds(e.at, e.data.eta)} s)`,
        'notice',
      );
    case 'SessionAssigned':
      return session('dispatched', `→ ${names.account(e.data.accountId)} (attempt ${e.data.attempt})`);
    case 'SessionStarted':
      return session('running', `on agent ${e.data.agentId}`);
    case 'SessionRequeued':
      return session(
        'failover',
        e.data.failedAccountId === null
          ? e.data.reason
          : `${e.data.reason}; back in the queue for another account`,
        'notice',
      );
    case 'SessionCompleted':
      return session('completed', `${e.data.outputChunks} output chunks`, 'good');
    case 'SessionFailed':
      return session('FAILED', e.data.reason, 'bad');
    case 'SessionCancelled':
      return session('cancelled', e.data.reason, 'notice');
    case 'AccountLinked':
      return account(
        'linked',
        `${e.data.provider}, up to ${e.data.maxConcurrent} at once; verifying`,
        'plain',
      );
    case 'AccountVerificationRequested':
      return account('verifying', 're-verification asked for', 'plain');
    case 'AccountVerified':
      return account('Active', 'the provider accepted the key', 'good');
    case 'AccountErrored':
      return account('ERROR', e.data.reason, 'bad');
    case 'AccountRateLimited':
      return account(
        'COOLDOWN',
        `rate limited until ${clock(e.data.until)} (${seconds(e.at, e.data.until)} s, from ${e.data.source})`,
        'notice',
      );
    case 'AccountCooldownEnded':
      return account('Active', 'cooldown over, back in rotation', 'good');
    case 'AccountExpired':
      return account('EXPIRED', e.data.cause, 'bad');
    case 'AccountReauthenticated':
      return account('Active', 're-authenticated', 'good');
    case 'AccountRevoked':
      return account('revoked', e.data.reason ?? 'taken out of rotation; its key is destroyed', 'notice');
    case 'AccountTokensRefreshed':
      return null;
    case 'AgentRegistered':
      return agent(
        'online',
        `${e.data.providers.join(', ')}, up to ${e.data.maxConcurrent} sessions at once`,
        'good',
      );
    case 'AgentDrainStarted':
      return agent('draining', 'finishes what it runs, takes nothing new', 'notice');
    case 'AgentResumed':
      return agent('online', 'takes work again', 'good');
    case 'AgentWentOffline':
      return agent('OFFLINE', e.data.reason, 'bad');
  }
}
