import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '../../providers/sse-parser';
import { type ProviderEmulator, startProviderEmulator } from './emulator';

let clock = Date.parse('2030-01-01T00:00:00Z');
let emulator: ProviderEmulator;

beforeAll(async () => {
  emulator = await startProviderEmulator({ now: () => clock });
});
afterAll(() => emulator.close());

const messages = (headers: Record<string, string>, body: unknown = validBody()) =>
  fetch(`${emulator.baseUrl('anthropic')}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const validBody = (stream = true) => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'hello' }],
  stream,
});
/** Both error shapes (Anthropic's and the control API's) in one loose type. */
type ErrorBody = {
  type?: string;
  request_id?: string;
  error: { type?: string; code?: string; message: string };
};
const errorOf = async (res: Response) => (await res.json()) as ErrorBody;
const apiKey = (key: string) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' });
const control = (method: string, path: string, body?: unknown) =>
  fetch(`${emulator.url}/_emulator${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

describe('provider emulator: Anthropic wire protocol', () => {
  it('streams the real event sequence with the real headers', async () => {
    emulator.script('wire-ok', { text: ['Hello', ', world'] });
    const res = await messages(apiKey('wire-ok'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('request-id')).toMatch(/^req_[0-9A-Za-z]+$/);
    for (const family of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
      for (const part of ['limit', 'remaining', 'reset']) {
        expect(res.headers.get(`anthropic-ratelimit-${family}-${part}`)).not.toBeNull();
      }
    }
    const events = new SseParser().push(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const data = events.map((e) => JSON.parse(e.data));
    expect(data.every((d, i) => d.type === events[i]!.event)).toBe(true);
    expect(data[0].message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
    });
    expect(data[3]).toEqual({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'Hello' },
    });
    expect(data[6]).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } });
  });

  it('answers without stream as one JSON message', async () => {
    emulator.script('wire-json', { text: ['a', 'b'] });
    const res = await messages(apiKey('wire-json'), validBody(false));
    expect(await res.json()).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'ab' }] });
  });

  it('refuses requests the real API refuses, in its error shape', async () => {
    const cases: [Response, number, string, string][] = [
      [
        await messages({ 'anthropic-version': '2023-06-01' }),
        401,
        'authentication_error',
        'x-api-key header is required',
      ],
      [
        await messages({ 'x-api-key': 'k' }),
        400,
        'invalid_request_error',
        'anthropic-version: header is required',
      ],
      [
        await messages({ authorization: 'Bearer tok', 'anthropic-version': '2023-06-01' }),
        401,
        'authentication_error',
        'OAuth authentication is currently not supported.',
      ],
      [await messages(apiKey('k'), '{not json'), 400, 'invalid_request_error', 'There was an error parsing'],
      [await messages(apiKey('k'), { model: 'm', messages: [] }), 400, 'invalid_request_error', 'max_tokens'],
    ];
    for (const [res, status, type, message] of cases) {
      expect(res.status).toBe(status);
      expect(res.headers.get('request-id')).not.toBeNull();
      const body = await errorOf(res);
      expect(body).toMatchObject({
        type: 'error',
        error: { type },
        request_id: res.headers.get('request-id'),
      });
      expect(body.error.message).toContain(message);
    }
  });

  it('429s after N calls until the reset, with retry-after and the reset headers, then lets calls through', async () => {
    emulator.script('wire-limited', { rateLimit: { afterCalls: 2, resetSeconds: 20 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await messages(apiKey('wire-limited'));
      statuses.push(res.status);
      await res.text();
      if (res.status === 429) {
        expect(res.headers.get('retry-after')).toBe('20');
        expect(res.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
        expect(res.headers.get('anthropic-ratelimit-requests-reset')).toBe('2030-01-01T00:00:20Z');
      }
    }
    expect(statuses).toEqual([200, 200, 429]);
    clock += 20_000;
    const after = await messages(apiKey('wire-limited'));
    expect(after.status).toBe(200);
    await after.text();
  });

  it('a 529 burst answers overloaded_error K times, then succeeds', async () => {
    emulator.script('wire-529', { transientErrors: { status: 529, count: 2 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await messages(apiKey('wire-529'));
      statuses.push(res.status);
      if (res.status === 529) expect((await errorOf(res)).error.type).toBe('overloaded_error');
      else await res.text();
    }
    expect(statuses).toEqual([529, 529, 200]);
  });

  it('lists models for a valid key, even one out of credit', async () => {
    emulator.script('wire-broke', { reject: 'spend_limit' });
    const res = await fetch(`${emulator.baseUrl('anthropic')}/v1/models?limit=1`, {
      headers: apiKey('wire-broke'),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: [{ type: 'model' }] });
  });
});

describe('provider emulator: control API', () => {
  it('scripts a key over HTTP and reports its calls', async () => {
    const put = await control('PUT', '/keys/ctl%2Fkey', { reject: 'invalid_key' });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ key: 'ctl/key', script: { reject: 'invalid_key', chunks: 3 } });
    const res = await messages(apiKey('ctl/key'));
    expect(res.status).toBe(401);
    await res.text();
    const { calls } = (await (await control('GET', '/calls?key=ctl%2Fkey')).json()) as { calls: unknown[] };
    expect(calls).toMatchObject([
      { key: 'ctl/key', status: 401, outcome: 'invalid_key', path: '/v1/messages' },
    ]);
  });

  it('rejects a bad script with a message naming the field', async () => {
    const res = await control('POST', '/keys/x', { chunks: -1, bogus: true });
    expect(res.status).toBe(400);
    const body = await errorOf(res);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toContain('chunks');
    expect((await control('POST', '/keys/x', '{oops')).status).toBe(400);
  });

  it('sets the behaviour of unscripted keys and resets everything', async () => {
    expect((await control('PUT', '/default', { reject: 'permission' })).status).toBe(200);
    const denied = await messages(apiKey('never-scripted'));
    expect(denied.status).toBe(403);
    await denied.text();
    expect((await control('POST', '/reset')).status).toBe(204);
    expect(emulator.calls).toHaveLength(0);
    const allowed = await messages(apiKey('never-scripted'));
    expect(allowed.status).toBe(200);
    await allowed.text();
  });

  it('answers unknown paths with a pointer instead of hanging', async () => {
    const res = await fetch(`${emulator.url}/v1/messages`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).error.message).toContain('/anthropic');
    expect((await control('GET', '/health')).status).toBe(200);
  });
});
