import { describe, expect, it } from 'vitest';
import { classifyErrorResponse, classifyStreamError } from './anthropic-errors';

const NOW = Date.parse('2030-06-01T12:00:00Z');
const bounds = { defaultCooldownMs: 60_000, maxCooldownMs: 3_600_000 };
const body = (type: string, message: string, extra: object = {}) =>
  JSON.stringify({ type: 'error', error: { type, message, ...extra }, request_id: 'req_1' });
const classify = (status: number, text: string, h: Record<string, string> = {}) =>
  classifyErrorResponse(status, new Headers(h), text, NOW, bounds);

describe('classifyErrorResponse', () => {
  it('maps the spend-limit variants to spend_limit, not to a cooldown', () => {
    expect(
      classify(400, body('invalid_request_error', 'Your credit balance is too low to access the API.')),
    ).toMatchObject({
      kind: 'credential_rejected',
      code: 'spend_limit',
    });
    expect(
      classify(
        429,
        body('rate_limit_error', 'Monthly cap', { details: { error_code: 'enforced_spend_limit_reached' } }),
      ),
    ).toMatchObject({ kind: 'credential_rejected', code: 'spend_limit' });
    expect(classify(402, body('billing_error', 'Payment required'))).toMatchObject({ code: 'spend_limit' });
  });

  it('keeps other 400s as plain failures that retrying cannot fix', () => {
    expect(classify(400, body('invalid_request_error', 'max_tokens: Field required'))).toMatchObject({
      kind: 'failed',
      retryable: false,
    });
    expect(classify(404, body('not_found_error', 'model: claude-nope'))).toMatchObject({ kind: 'failed' });
  });

  it('names the request id and survives bodies that are not the error shape', () => {
    const html = classify(503, '<html>\n<title>503 Service Unavailable</title>\u0000</html>', {
      'request-id': 'req_9',
    });
    expect(html).toMatchObject({ kind: 'transient', retryAfterMs: null });
    expect(html.kind === 'transient' && html.reason).toBe(
      'Anthropic answered 503: <html> <title>503 Service Unavailable</title> </html> (request-id req_9)',
    );
    expect(classify(500, '')).toMatchObject({
      kind: 'transient',
      reason: 'Anthropic answered 500: empty body',
    });
    expect(classify(500, '{"unexpected": true}')).toMatchObject({ kind: 'transient' });
    const long = classify(400, 'x'.repeat(100_000));
    expect(long.kind === 'failed' && long.reason.length).toBeLessThan(400);
  });

  it('passes a retry-after on overload to the retry loop', () => {
    expect(classify(529, body('overloaded_error', 'Overloaded'), { 'retry-after': '3' })).toMatchObject({
      kind: 'transient',
      retryAfterMs: 3_000,
    });
  });

  it('reports a redirect with what to change', () => {
    const out = classify(301, '', { location: 'https://elsewhere.example/v1/messages' });
    expect(out.kind === 'failed' && out.reason).toContain("set the account's baseUrl");
  });
});

describe('classifyStreamError', () => {
  it('treats overload and api errors inside a stream as transient', () => {
    expect(classifyStreamError(body('overloaded_error', 'Overloaded'), new Headers(), NOW, bounds).kind).toBe(
      'transient',
    );
    expect(classifyStreamError(body('api_error', 'oops'), new Headers(), NOW, bounds).kind).toBe('transient');
  });

  it('turns a rate_limit_error event into a cooldown', () => {
    expect(
      classifyStreamError(body('rate_limit_error', 'slow down'), new Headers(), NOW, bounds),
    ).toMatchObject({
      kind: 'rate_limited',
      source: 'default',
    });
  });
});
