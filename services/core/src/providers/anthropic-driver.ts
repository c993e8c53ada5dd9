import { ProviderProtocolError } from '../errors/errors';
import {
  type ClassifiedFailure,
  classifyErrorResponse,
  classifyStreamError,
  cleanText,
} from './anthropic-errors';
import { AnthropicStreamReader } from './anthropic-stream';
import type {
  CredentialRejected,
  ProviderCredential,
  ProviderDriver,
  RunOutcome,
  RunRequest,
  VerifyOutcome,
} from './driver';
import { type DriverOptions, type ResolvedDriverOptions, resolveDriverOptions } from './driver-options';
import { SseParser } from './sse-parser';
import { retryTransient, type TransientFailure } from './transient-retry';

export const ANTHROPIC_API_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';
export const ANTHROPIC_DEFAULT_MODEL = 'claude-sonnet-4-5';
/** Anthropic accepts OAuth access tokens on the public API only with this beta flag. */
export const ANTHROPIC_OAUTH_BETA = 'oauth-2025-04-20';

export interface AnthropicDriverOptions extends DriverOptions {
  /** The model used when a request names none. */
  readonly defaultModel?: string;
  /** `max_tokens` sent with every message. */
  readonly maxTokens?: number;
}

// An error body is only read for its message; a proxy streaming megabytes is cut off here.
const MAX_ERROR_BODY_BYTES = 64 * 1024;
// Header values must be visible ASCII; a pasted key with a newline would otherwise make
// fetch throw before any request, which would read as a network error and be retried.
const HEADER_SAFE = /^[\x21-\x7e]{1,4096}$/;

type Attempt<T> = T | TransientFailure;

/** The `anthropic` driver: Messages API with SSE streaming, outcomes per docs/architecture.md. */
export function createAnthropicDriver(options: AnthropicDriverOptions = {}): ProviderDriver {
  const o = resolveDriverOptions(options);
  const defaultModel = options.defaultModel ?? ANTHROPIC_DEFAULT_MODEL;
  const maxTokens = options.maxTokens ?? 8192;

  return {
    provider: 'anthropic',

    async run(credential: ProviderCredential, request: RunRequest): Promise<RunOutcome> {
      if (request.signal.aborted) return { kind: 'cancelled' };
      const target = prepare(credential, '/v1/messages');
      if (target.kind === 'credential_rejected') return target;
      const body = JSON.stringify({
        model: request.model ?? defaultModel,
        max_tokens: maxTokens,
        messages: [{ role: 'user', content: request.prompt }],
        stream: true,
      });
      const headers = { ...target.headers, 'content-type': 'application/json', accept: 'text/event-stream' };
      const end = await retryTransient(o.retry, o.random, request.signal, () =>
        attemptRun(o, target.url, headers, body, request),
      );
      return end.kind === 'gave_up' ? { kind: 'failed', reason: end.reason, retryable: true } : end;
    },

    async verify(credential: ProviderCredential): Promise<VerifyOutcome> {
      const target = prepare(credential, '/v1/models');
      if (target.kind === 'credential_rejected') return target;
      const end = await retryTransient(o.retry, o.random, null, () =>
        attemptVerify(o, `${target.url}?limit=1`, target.headers),
      );
      switch (end.kind) {
        case 'gave_up':
          return { kind: 'unavailable', reason: end.reason };
        case 'cancelled':
          // verify has no signal; kept for exhaustiveness.
          return { kind: 'unavailable', reason: 'verification was cancelled' };
        case 'failed':
          return { kind: 'unavailable', reason: end.reason };
        default:
          return end;
      }
    },
  };
}

type Target = { readonly kind: 'target'; readonly url: string; readonly headers: Record<string, string> };

/** Builds the endpoint and auth headers, refusing credentials that cannot be sent at all. */
function prepare(credential: ProviderCredential, path: string): Target | CredentialRejected {
  if (!HEADER_SAFE.test(credential.secret)) {
    return {
      kind: 'credential_rejected',
      code: 'invalid_credential',
      reason:
        'the credential is empty or contains spaces or characters that cannot be sent in an HTTP header',
    };
  }
  let base: URL;
  try {
    base = new URL(credential.baseUrl ?? ANTHROPIC_API_URL);
  } catch {
    base = new URL('invalid:');
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    // The URL itself is not echoed: a proxy URL may carry its own user:password.
    return {
      kind: 'credential_rejected',
      code: 'invalid_credential',
      reason: "the account's baseUrl is not an http(s) URL",
    };
  }
  // A baseUrl may carry a path prefix (proxies often mount the API under one).
  const url = `${base.origin}${base.pathname.replace(/\/+$/, '')}${path}`;
  const auth: Record<string, string> =
    credential.kind === 'api_key'
      ? { 'x-api-key': credential.secret }
      : { authorization: `Bearer ${credential.secret}`, 'anthropic-beta': ANTHROPIC_OAUTH_BETA };
  return { kind: 'target', url, headers: { ...auth, 'anthropic-version': ANTHROPIC_VERSION } };
}

/** Thrown through the stream loop when the caller's own onText throws: that is a bug, not a provider failure. */
class CallbackFailure {
  constructor(readonly cause: unknown) {}
}

/** One streaming request: resolves with an outcome or a transient failure for the retry loop. */
async function attemptRun(
  o: ResolvedDriverOptions,
  url: string,
  headers: Record<string, string>,
  body: string,
  request: RunRequest,
): Promise<Attempt<RunOutcome>> {
  const call = startCall(o, request.signal);
  let textEmitted = false;
  try {
    const res = await fetch(url, { method: 'POST', headers, body, signal: call.signal, redirect: 'manual' });
    if (res.status < 200 || res.status > 299) return await failedResponse(o, call, res);
    const contentType = res.headers.get('content-type') ?? '';
    if (!contentType.startsWith('text/event-stream')) {
      await res.body?.cancel();
      return {
        kind: 'failed',
        retryable: false,
        reason: `Anthropic answered ${res.status} with ${cleanText(contentType) || 'no content type'} instead of an event stream; is the baseUrl a Messages API endpoint?`,
      };
    }
    const reader = res.body?.getReader();
    if (!reader) return { kind: 'transient', reason: 'Anthropic sent an empty body', retryAfterMs: null };
    const decoder = new TextDecoder();
    const parser = new SseParser();
    const stream = new AnthropicStreamReader();
    for (;;) {
      call.arm(o.idleTimeoutMs, `no data from Anthropic for ${o.idleTimeoutMs / 1000} s`);
      const { done, value } = await reader.read();
      if (done) break;
      for (const event of parser.push(decoder.decode(value, { stream: true }))) {
        const step = stream.handle(event);
        switch (step.kind) {
          case 'text':
            textEmitted = true;
            try {
              request.onText(step.text);
            } catch (err) {
              throw new CallbackFailure(err);
            }
            break;
          case 'stop':
            await reader.cancel();
            call.finished();
            return { kind: 'completed', inputTokens: stream.inputTokens, outputTokens: stream.outputTokens };
          case 'error':
            return withEmitted(classifyStreamError(step.data, res.headers, o.now(), o), textEmitted);
          case 'continue':
            break;
        }
      }
    }
    const { incomplete } = parser.end();
    return {
      kind: 'transient',
      reason: `Anthropic's stream ended before message_stop${incomplete ? ' (in the middle of an event)' : ''}`,
      retryAfterMs: null,
      textEmitted,
    };
  } catch (err) {
    if (err instanceof CallbackFailure) throw err.cause;
    if (request.signal.aborted) return { kind: 'cancelled' };
    if (err instanceof ProviderProtocolError) {
      return {
        kind: 'failed',
        retryable: false,
        reason: `Anthropic sent a malformed stream: ${err.message}`,
      };
    }
    return {
      kind: 'transient',
      reason: call.timedOut ?? networkReason(err),
      retryAfterMs: null,
      textEmitted,
    };
  } finally {
    call.dispose();
  }
}

/** One `GET /v1/models?limit=1`: authenticated, free, and it consumes no token budget. */
async function attemptVerify(
  o: ResolvedDriverOptions,
  url: string,
  headers: Record<string, string>,
): Promise<Attempt<VerifyOutcome | { readonly kind: 'failed'; readonly reason: string }>> {
  const call = startCall(o, null);
  try {
    const res = await fetch(url, { method: 'GET', headers, signal: call.signal, redirect: 'manual' });
    if (res.status < 200 || res.status > 299) return await failedResponse(o, call, res);
    await readBounded(res, call, o);
    call.finished();
    return { kind: 'ok' };
  } catch (err) {
    return { kind: 'transient', reason: call.timedOut ?? networkReason(err), retryAfterMs: null };
  } finally {
    call.dispose();
  }
}

/** Reads a bounded error body and classifies the response. */
async function failedResponse(
  o: ResolvedDriverOptions,
  call: Call,
  res: Response,
): Promise<ClassifiedFailure> {
  const text = await readBounded(res, call, o);
  return classifyErrorResponse(res.status, res.headers, text, o.now(), o);
}

async function readBounded(res: Response, call: Call, o: ResolvedDriverOptions): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    call.arm(o.idleTimeoutMs, `no data from Anthropic for ${o.idleTimeoutMs / 1000} s`);
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
    if (bytes >= MAX_ERROR_BODY_BYTES) {
      await reader.cancel();
      return text;
    }
  }
}

function withEmitted(failure: ClassifiedFailure, textEmitted: boolean): Attempt<RunOutcome> {
  return failure.kind === 'transient' ? { ...failure, textEmitted } : failure;
}

/** `fetch failed` alone says nothing; the cause carries the code (ECONNREFUSED, UND_ERR_HEADERS_OVERFLOW…). */
function networkReason(err: unknown): string {
  if (!(err instanceof Error)) return 'network error talking to Anthropic';
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return cleanText(`network error talking to Anthropic: ${err.message}${detail ? ` (${detail})` : ''}`);
}

interface Call {
  readonly signal: AbortSignal;
  /** Set when a timer aborted the call; the reason to report. */
  readonly timedOut: string | null;
  /** (Re)starts the inactivity timer. */
  arm(ms: number, reason: string): void;
  /** The body was consumed or deliberately cancelled; nothing to abort. */
  finished(): void;
  dispose(): void;
}

/**
 * One HTTP call's abort wiring: the caller's cancel signal and our own timers both abort
 * the fetch and its body, and everything is released when the attempt ends.
 */
function startCall(o: ResolvedDriverOptions, cancel: AbortSignal | null): Call {
  const controller = new AbortController();
  let timedOut: string | null = null;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const onCancel = () => controller.abort();
  cancel?.addEventListener('abort', onCancel, { once: true });
  const call: Call = {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    arm(ms, reason) {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = reason;
        controller.abort();
      }, ms);
    },
    finished() {
      done = true;
    },
    dispose() {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
      // Anything still open (a body we stopped reading) is torn down with the attempt.
      if (!done) controller.abort();
    },
  };
  call.arm(o.responseTimeoutMs, `no response from Anthropic within ${o.responseTimeoutMs / 1000} s`);
  return call;
}
