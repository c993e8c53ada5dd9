import type { KeyScript, LIMIT_FAMILIES, RATE_LIMIT_SIGNALS, REJECTIONS, STREAM_ENDINGS } from './key-script';

/** What the emulator remembers about one key between requests. */
export interface KeyState {
  /** Requests let through since the last rate-limit window closed. */
  readonly windowCalls: number;
  /** While set and in the future, every prompt is answered 429. */
  readonly limitedUntil: number | null;
  readonly transientServed: number;
}

export const INITIAL_KEY_STATE: KeyState = { windowCalls: 0, limitedUntil: null, transientServed: 0 };

/** The nominal request quota advertised on every response of a key without a scripted limit. */
export const NOMINAL_REQUEST_LIMIT = 4000;
const NOMINAL_WINDOW_MS = 60_000;

/** Quota headers every response carries, rendered per provider. */
export interface QuotaInfo {
  readonly limit: number;
  readonly remaining: number;
  readonly resetAt: number;
  /** The family the script limits (`requests` when none is scripted); others are nominal. */
  readonly family: (typeof LIMIT_FAMILIES)[number];
  readonly exhausted: boolean;
}

type Reject = {
  readonly kind: 'reject';
  readonly rejection: (typeof REJECTIONS)[number];
  readonly quota: QuotaInfo;
};

/** How to answer a request that runs a prompt. */
export type Decision =
  | Reject
  | {
      readonly kind: 'transient';
      readonly status: number;
      readonly retryAfterSeconds: number | null;
      readonly quota: QuotaInfo;
    }
  | {
      readonly kind: 'rate_limited';
      readonly signals: (typeof RATE_LIMIT_SIGNALS)[number];
      /** The reset time the response advertises (the true one unless scripted otherwise). */
      readonly advertisedResetAt: number;
      readonly retryAfterSeconds: number;
      readonly quota: QuotaInfo;
    }
  | {
      readonly kind: 'stream';
      readonly chunks: readonly string[];
      readonly latencyMs: number;
      readonly ending: (typeof STREAM_ENDINGS)[number];
      readonly quota: QuotaInfo;
    };

/** How to answer a metadata call (model listing): only the key's validity matters. */
export type ListDecision = Reject | { readonly kind: 'list'; readonly quota: QuotaInfo };

/**
 * Decides how to answer one prompt with a key, given its script and state. Pure: the clock
 * comes in as `nowMs`. Order: permanent rejection, transient burst, rate limit, success.
 */
export function decideGenerate(
  script: KeyScript,
  state: KeyState,
  nowMs: number,
): { readonly decision: Decision; readonly state: KeyState } {
  const current = openWindow(state, nowMs);
  const quota = quotaOf(script, nowMs);
  if (script.reject !== null) {
    return {
      decision: { kind: 'reject', rejection: script.reject, quota: quota(current.windowCalls, null) },
      state: current,
    };
  }
  const burst = script.transientErrors;
  if (burst && (burst.count === null || current.transientServed < burst.count)) {
    return {
      decision: {
        kind: 'transient',
        status: burst.status,
        retryAfterSeconds: burst.retryAfterSeconds,
        quota: quota(current.windowCalls, null),
      },
      state: { ...current, transientServed: current.transientServed + 1 },
    };
  }
  const rl = script.rateLimit;
  if (rl && (current.limitedUntil !== null || current.windowCalls >= rl.afterCalls)) {
    const limitedUntil = current.limitedUntil ?? nowMs + rl.resetSeconds * 1000;
    const advertisedResetAt =
      rl.advertisedResetSeconds === null ? limitedUntil : nowMs + rl.advertisedResetSeconds * 1000;
    return {
      decision: {
        kind: 'rate_limited',
        signals: rl.signals,
        advertisedResetAt,
        retryAfterSeconds: Math.max(0, Math.ceil((advertisedResetAt - nowMs) / 1000)),
        quota: { ...quota(current.windowCalls, limitedUntil), resetAt: advertisedResetAt },
      },
      state: { ...current, limitedUntil },
    };
  }
  const windowCalls = current.windowCalls + 1;
  return {
    decision: {
      kind: 'stream',
      chunks: script.text ?? generatedChunks(script.chunks),
      latencyMs: script.latencyMs,
      ending: script.streamEnding,
      quota: quota(windowCalls, null),
    },
    state: { ...current, windowCalls },
  };
}

/**
 * Decides a model listing. A key refused outright is refused here too, but a spend limit
 * is not: like the real API, listing models costs nothing and works without credit.
 */
export function decideList(script: KeyScript, state: KeyState, nowMs: number): ListDecision {
  const quota = quotaOf(script, nowMs)(openWindow(state, nowMs).windowCalls, null);
  const rejection = script.reject;
  return rejection !== null && rejection !== 'spend_limit'
    ? { kind: 'reject', rejection, quota }
    : { kind: 'list', quota };
}

/** A cooldown that has ended opens a fresh window. */
function openWindow(state: KeyState, nowMs: number): KeyState {
  return state.limitedUntil !== null && nowMs >= state.limitedUntil
    ? { ...state, windowCalls: 0, limitedUntil: null }
    : state;
}

function quotaOf(
  script: KeyScript,
  nowMs: number,
): (windowCalls: number, limitedUntil: number | null) => QuotaInfo {
  const rl = script.rateLimit;
  return (windowCalls, limitedUntil) =>
    rl
      ? {
          limit: rl.afterCalls,
          remaining: Math.max(0, rl.afterCalls - windowCalls),
          resetAt: limitedUntil ?? nowMs + rl.resetSeconds * 1000,
          family: rl.limit,
          exhausted: limitedUntil !== null,
        }
      : {
          limit: NOMINAL_REQUEST_LIMIT,
          remaining: NOMINAL_REQUEST_LIMIT - 1,
          resetAt: nowMs + NOMINAL_WINDOW_MS,
          family: 'requests',
          exhausted: false,
        };
}

function generatedChunks(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `chunk ${i + 1} of ${count}. `);
}
