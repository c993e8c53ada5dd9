import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { pause, randomId, readBody, sendJson } from './http-io';
import { type Decision, type ListDecision, NOMINAL_REQUEST_LIMIT, type QuotaInfo } from './key-behaviour';
import type { EmulatorCall } from './key-registry';
import { LIMIT_FAMILIES } from './key-script';
import type { ProviderRoutes, RouteContext } from './provider-routes';

/**
 * The Anthropic Messages API as the real service speaks it: `POST /v1/messages` (SSE when
 * `stream: true`, JSON otherwise) and `GET /v1/models`, the `anthropic-ratelimit-*`
 * headers and a `request-id` on every response, and error bodies
 * `{ type: 'error', error: { type, message }, request_id }` with the real error types.
 */
export const anthropicRoutes: ProviderRoutes = {
  provider: 'anthropic',
  async handle(req, res, path, ctx) {
    const call = new CallLog(req, path, ctx);
    if (req.method === 'POST' && path === '/v1/messages') return messages(req, res, ctx, call);
    if (req.method === 'GET' && path === '/v1/models') return models(req, res, ctx, call);
    await readBody(req, MAX_BODY_BYTES);
    sendError(res, call, 404, 'not_found_error', 'Not found', {});
  },
};

const MAX_BODY_BYTES = 1024 * 1024;
const OAUTH_BETA = 'oauth-2025-04-20';
const ORGANIZATION_ID = '3f5c0b7e-6a53-4bd4-9a60-4e2f2c1d9a10';
const TOKEN_LIMIT = 400_000;

export const ANTHROPIC_MESSAGES = {
  missingKey: 'x-api-key header is required',
  invalidKey: 'invalid x-api-key',
  oauthUnsupported: 'OAuth authentication is currently not supported.',
  missingVersion: 'anthropic-version: header is required',
  permission: 'Your API key does not have permission to use the specified resource.',
  creditBalance:
    'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
  rateLimit:
    'This request would exceed the rate limit for your organization of requests per minute. Please reduce the prompt length or the maximum tokens requested, or try again later.',
  overloaded: 'Overloaded',
  apiError: 'Internal server error',
  tooLarge: 'Request exceeds the maximum allowed number of bytes.',
} as const;

const MessagesBody = z
  .object({
    model: z.string().min(1),
    max_tokens: z.number().int().positive(),
    messages: z
      .array(
        z.object({
          role: z.enum(['user', 'assistant']),
          content: z.union([z.string(), z.array(z.object({ type: z.string() }).loose())]),
        }),
      )
      .min(1),
    stream: z.boolean().optional(),
  })
  .loose();
type MessagesBody = z.infer<typeof MessagesBody>;

/** Collects what the call log records about one request, filled in as the handler learns it. */
class CallLog {
  readonly requestId = `req_011C${randomId(20)}`;
  key: string | null = null;
  auth: EmulatorCall['auth'] = 'none';
  model: string | null = null;
  prompt: string | null = null;

  constructor(
    private readonly req: IncomingMessage,
    private readonly path: string,
    private readonly ctx: RouteContext,
  ) {}

  done(status: number, outcome: string, headers: Readonly<Record<string, string>>): void {
    const pick = (names: readonly string[]) =>
      Object.fromEntries(
        names.flatMap((n) => {
          const v = this.req.headers[n];
          return typeof v === 'string' ? [[n, v]] : [];
        }),
      );
    this.ctx.registry.record({
      provider: 'anthropic',
      method: this.req.method ?? 'GET',
      path: this.path,
      key: this.key,
      auth: this.auth,
      status,
      outcome,
      requestId: this.requestId,
      at: this.ctx.now(),
      model: this.model,
      prompt: this.prompt,
      requestHeaders: pick(['anthropic-version', 'anthropic-beta', 'content-type', 'accept']),
      responseHeaders: Object.fromEntries(
        Object.entries(headers).filter(([k]) => k === 'retry-after' || k.startsWith('anthropic-ratelimit-')),
      ),
    });
  }
}

/** Who is calling: the key, or the error the real API gives for the way it was (not) sent. */
function authenticate(req: IncomingMessage, call: CallLog): string | null {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') {
    call.key = apiKey;
    call.auth = 'api_key';
    return null;
  }
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string' && /^Bearer /i.test(authorization)) {
    call.key = authorization.slice(7).trim();
    call.auth = 'bearer';
    const beta = String(req.headers['anthropic-beta'] ?? '');
    return beta.split(',').some((b) => b.trim() === OAUTH_BETA) ? null : ANTHROPIC_MESSAGES.oauthUnsupported;
  }
  return ANTHROPIC_MESSAGES.missingKey;
}

async function messages(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  call: CallLog,
): Promise<void> {
  const body = await readBody(req, MAX_BODY_BYTES);
  const authError = authenticate(req, call);
  if (authError) return sendError(res, call, 401, 'authentication_error', authError, {});
  if (!req.headers['anthropic-version']) {
    return sendError(res, call, 400, 'invalid_request_error', ANTHROPIC_MESSAGES.missingVersion, {});
  }
  if (body.kind === 'too_large')
    return sendError(res, call, 413, 'request_too_large', ANTHROPIC_MESSAGES.tooLarge, {});
  let json: unknown;
  try {
    json = JSON.parse(body.text);
  } catch {
    return sendError(
      res,
      call,
      400,
      'invalid_request_error',
      'There was an error parsing the body of your request.',
      {},
    );
  }
  const parsed = MessagesBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = `${issue?.path.join('.') || 'body'}: ${issue?.code === 'invalid_type' && issue.input === undefined ? 'Field required' : issue?.message}`;
    return sendError(res, call, 400, 'invalid_request_error', message, {});
  }
  call.model = parsed.data.model;
  call.prompt = promptText(parsed.data);
  const decision = ctx.registry.takeGenerate(call.key ?? '');
  const headers = responseHeaders(
    decision,
    call,
    ctx.now(),
    ctx.registry.scriptOf(call.key ?? '').hugeHeaderBytes,
  );
  switch (decision.kind) {
    case 'reject':
      return reject(res, call, decision.rejection, headers);
    case 'transient':
      return transient(res, call, decision.status, decision.retryAfterSeconds, headers);
    case 'rate_limited':
      return sendError(
        res,
        call,
        429,
        'rate_limit_error',
        ANTHROPIC_MESSAGES.rateLimit,
        headers,
        'rate_limited',
      );
    case 'stream':
      return parsed.data.stream
        ? stream(res, ctx, call, parsed.data, decision, headers)
        : sendMessage(res, call, parsed.data, decision, headers);
  }
}

async function models(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  call: CallLog,
): Promise<void> {
  await readBody(req, MAX_BODY_BYTES);
  const authError = authenticate(req, call);
  if (authError) return sendError(res, call, 401, 'authentication_error', authError, {});
  if (!req.headers['anthropic-version']) {
    return sendError(res, call, 400, 'invalid_request_error', ANTHROPIC_MESSAGES.missingVersion, {});
  }
  const decision = ctx.registry.takeList(call.key ?? '');
  const headers = responseHeaders(
    decision,
    call,
    ctx.now(),
    ctx.registry.scriptOf(call.key ?? '').hugeHeaderBytes,
  );
  if (decision.kind === 'reject') return reject(res, call, decision.rejection, headers);
  const model = {
    type: 'model',
    id: 'claude-sonnet-4-5-20250929',
    display_name: 'Claude Sonnet 4.5',
    created_at: '2025-09-29T00:00:00Z',
  };
  sendJson(res, 200, { data: [model], has_more: true, first_id: model.id, last_id: model.id }, headers);
  call.done(200, 'list', headers);
}

const REJECTION_ERRORS = {
  invalid_key: { status: 401, type: 'authentication_error', message: ANTHROPIC_MESSAGES.invalidKey },
  permission: { status: 403, type: 'permission_error', message: ANTHROPIC_MESSAGES.permission },
  // The real API reports an exhausted balance as a 400, not a 402.
  spend_limit: { status: 400, type: 'invalid_request_error', message: ANTHROPIC_MESSAGES.creditBalance },
} as const;

function reject(
  res: ServerResponse,
  call: CallLog,
  rejection: keyof typeof REJECTION_ERRORS,
  headers: Record<string, string>,
): void {
  const { status, type, message } = REJECTION_ERRORS[rejection];
  sendError(res, call, status, type, message, headers, rejection);
}

function transient(
  res: ServerResponse,
  call: CallLog,
  status: number,
  retryAfterSeconds: number | null,
  headers: Record<string, string>,
): void {
  const withRetry =
    retryAfterSeconds === null ? headers : { ...headers, 'retry-after': String(retryAfterSeconds) };
  if (status === 502 || status === 503) {
    // These come from the edge in front of the API, as HTML rather than the JSON error shape.
    const html = `<html><head><title>${status} ${status === 502 ? 'Bad Gateway' : 'Service Unavailable'}</title></head><body><center><h1>${status}</h1></center><hr><center>cloudflare</center></body></html>`;
    res.writeHead(status, {
      ...withRetry,
      'content-type': 'text/html',
      'content-length': Buffer.byteLength(html),
    });
    res.end(html);
    call.done(status, 'transient', withRetry);
    return;
  }
  const type = status === 529 ? 'overloaded_error' : status === 504 ? 'timeout_error' : 'api_error';
  const message = status === 529 ? ANTHROPIC_MESSAGES.overloaded : ANTHROPIC_MESSAGES.apiError;
  sendError(res, call, status, type, message, { ...withRetry, 'x-should-retry': 'true' }, 'transient');
}

function sendError(
  res: ServerResponse,
  call: CallLog,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string>,
  outcome = 'bad_request',
): void {
  const all = { ...headers, 'request-id': call.requestId };
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: call.requestId }, all);
  call.done(status, outcome, all);
}

/** Seconds precision, rounded up so a client waiting until the header never comes back early. */
function rfc3339(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function quotaHeaders(quota: QuotaInfo, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const family of LIMIT_FAMILIES) {
    const scripted = family === quota.family;
    const nominalLimit = family === 'requests' ? NOMINAL_REQUEST_LIMIT : TOKEN_LIMIT;
    const limit = scripted && family === 'requests' ? quota.limit : nominalLimit;
    const remaining = !scripted
      ? nominalLimit - 1
      : quota.exhausted
        ? 0
        : family === 'requests'
          ? quota.remaining
          : TOKEN_LIMIT - 1000;
    // Families the script does not limit refill within the minute; only the scripted one
    // carries the scripted reset, so a client must read `-remaining` to pick the right one.
    const reset = scripted ? quota.resetAt : nowMs + 60_000;
    headers[`anthropic-ratelimit-${family}-limit`] = String(limit);
    headers[`anthropic-ratelimit-${family}-remaining`] = String(remaining);
    headers[`anthropic-ratelimit-${family}-reset`] = rfc3339(reset);
  }
  return headers;
}

function responseHeaders(
  decision: Decision | ListDecision,
  call: CallLog,
  nowMs: number,
  padding: number,
): Record<string, string> {
  const base: Record<string, string> = {
    'request-id': call.requestId,
    'anthropic-organization-id': ORGANIZATION_ID,
    ...(padding > 0 ? { 'x-emulator-padding': 'x'.repeat(padding) } : {}),
  };
  if (decision.kind === 'rate_limited') {
    const signals = decision.signals;
    return {
      ...base,
      ...(signals === 'all' || signals === 'reset' ? quotaHeaders(decision.quota, nowMs) : {}),
      ...(signals === 'all' || signals === 'retry-after'
        ? { 'retry-after': String(decision.retryAfterSeconds) }
        : {}),
      'x-should-retry': 'true',
    };
  }
  return { ...base, ...quotaHeaders(decision.quota, nowMs) };
}

function promptText(body: MessagesBody): string {
  return body.messages
    .map((m) =>
      typeof m.content === 'string'
        ? m.content
        : m.content.map((part) => (typeof part.text === 'string' ? part.text : '')).join(''),
    )
    .join('\n');
}

function inputTokens(call: CallLog): number {
  return Math.max(1, Math.ceil((call.prompt ?? '').length / 4));
}

function sendMessage(
  res: ServerResponse,
  call: CallLog,
  body: MessagesBody,
  decision: Extract<Decision, { kind: 'stream' }>,
  headers: Record<string, string>,
): void {
  sendJson(
    res,
    200,
    {
      id: `msg_01${randomId(22)}`,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text: decision.chunks.join('') }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: inputTokens(call), output_tokens: decision.chunks.length },
    },
    headers,
  );
  call.done(200, 'completed', headers);
}

const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** Streams a message with the real event sequence, or goes wrong the way the script says. */
async function stream(
  res: ServerResponse,
  ctx: RouteContext,
  call: CallLog,
  body: MessagesBody,
  decision: Extract<Decision, { kind: 'stream' }>,
  headers: Record<string, string>,
): Promise<void> {
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  });
  const opening =
    sse('message_start', {
      type: 'message_start',
      message: {
        id: `msg_01${randomId(22)}`,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: inputTokens(call),
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 0,
          output_tokens: 1,
          service_tier: 'standard',
        },
      },
    }) +
    sse('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }) +
    sse('ping', { type: 'ping' });
  const { chunks, ending, latencyMs } = decision;
  call.done(200, ending === 'complete' ? 'completed' : ending, headers);
  switch (ending) {
    case 'broken':
      // A data line cut mid-JSON, then the connection closes cleanly.
      res.end(
        `${opening}event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_de\n\n`,
      );
      return;
    case 'overloaded':
      res.end(
        `${opening}${sse('error', { type: 'error', error: { type: 'overloaded_error', message: ANTHROPIC_MESSAGES.overloaded } })}`,
      );
      return;
    case 'never':
      // Headers and the opening events, then silence until the client gives up.
      res.write(opening);
      return;
    case 'cut':
    case 'complete':
      break;
  }
  const delta = (text: string) =>
    sse('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text },
    });
  const closing =
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: chunks.length },
    }) +
    sse('message_stop', { type: 'message_stop' });
  const cutAt = ending === 'cut' ? Math.floor(chunks.length / 2) : null;
  if (latencyMs === 0 && cutAt === null) {
    // The fast path the benchmarks use: one write for the whole stream.
    res.end(opening + chunks.map(delta).join('') + closing);
    return;
  }
  res.write(opening);
  for (const [i, text] of chunks.entries()) {
    if (i === cutAt) return cut(res);
    if (latencyMs > 0 && !(await pause(latencyMs, ctx.closed))) return;
    res.write(delta(text));
  }
  if (cutAt !== null) return cut(res);
  res.end(closing);
}

/** Drops the connection mid-body once what was written has left, like a proxy reset. */
function cut(res: ServerResponse): void {
  res.write('', () => res.destroy());
}
