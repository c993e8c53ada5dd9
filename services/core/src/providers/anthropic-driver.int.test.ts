import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProviderEmulator, startProviderEmulator } from '../testing/provider-emulator';
import type { KeyScriptInput } from '../testing/provider-emulator/key-script';
import { ANTHROPIC_DEFAULT_MODEL, ANTHROPIC_VERSION, createAnthropicDriver } from './anthropic-driver';
import type { ProviderCredential, ProviderDriver, RunOutcome } from './driver';

// One clock for the emulator and the driver, so reset instants compare exactly.
const NOW = Date.parse('2030-01-01T00:00:00Z');
const now = () => NOW;
const FAST_RETRY = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 30_000 };

let emulator: ProviderEmulator;
let driver: ProviderDriver;

beforeAll(async () => {
  emulator = await startProviderEmulator({ now });
  driver = createAnthropicDriver({ now, retry: FAST_RETRY, idleTimeoutMs: 300, responseTimeoutMs: 5_000 });
});
afterAll(() => emulator.close());

let keyCounter = 0;
/** A fresh key with its own script, so tests never share emulator state. */
function keyWith(script: KeyScriptInput, kind: ProviderCredential['kind'] = 'api_key'): ProviderCredential {
  keyCounter += 1;
  const secret = `sk-ant-test-${keyCounter}-${Math.random().toString(36).slice(2)}`;
  emulator.script(secret, script);
  return { kind, secret, baseUrl: emulator.baseUrl('anthropic') };
}

const callsOf = (credential: ProviderCredential) => emulator.calls.filter((c) => c.key === credential.secret);

async function run(
  credential: ProviderCredential,
  options: { driver?: ProviderDriver; signal?: AbortSignal; onText?: (t: string) => void } = {},
): Promise<{ outcome: RunOutcome; text: string[] }> {
  const text: string[] = [];
  const outcome = await (options.driver ?? driver).run(credential, {
    model: null,
    prompt: 'Write a haiku about queues.',
    signal: options.signal ?? new AbortController().signal,
    onText: (t) => {
      text.push(t);
      options.onText?.(t);
    },
  });
  return { outcome, text };
}

describe('anthropic driver against the emulator', () => {
  it('streams every text delta in order and reports usage', async () => {
    const credential = keyWith({ text: ['Queues ', 'wait in ', 'line, ', 'one ', 'by one.'] });
    const { outcome, text } = await run(credential);
    expect(outcome).toEqual({ kind: 'completed', inputTokens: expect.any(Number), outputTokens: 5 });
    expect(text).toEqual(['Queues ', 'wait in ', 'line, ', 'one ', 'by one.']);
    const [call] = callsOf(credential);
    expect(call).toMatchObject({
      method: 'POST',
      path: '/v1/messages',
      auth: 'api_key',
      model: ANTHROPIC_DEFAULT_MODEL,
      prompt: 'Write a haiku about queues.',
      requestHeaders: { 'anthropic-version': ANTHROPIC_VERSION, 'content-type': 'application/json' },
    });
  });

  it('sends an OAuth token as a bearer with the OAuth beta flag', async () => {
    const credential = keyWith({ chunks: 2 }, 'oauth');
    const { outcome, text } = await run(credential);
    expect(outcome.kind).toBe('completed');
    expect(text).toHaveLength(2);
    expect(callsOf(credential)[0]).toMatchObject({
      auth: 'bearer',
      requestHeaders: { 'anthropic-beta': 'oauth-2025-04-20' },
    });
  });

  describe('rate limits', () => {
    it('429 with retry-after: cooling until now + retry-after', async () => {
      const credential = keyWith({ rateLimit: { afterCalls: 0, resetSeconds: 30, signals: 'retry-after' } });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({
        kind: 'rate_limited',
        source: 'retry-after',
        until: new Date(NOW + 30_000),
      });
      expect(callsOf(credential)).toHaveLength(1);
    });

    it('429 with reset headers: cooling until the reset of the exhausted limit, not the others', async () => {
      const credential = keyWith({
        rateLimit: { afterCalls: 1, resetSeconds: 45, limit: 'output-tokens', signals: 'reset' },
      });
      expect((await run(credential)).outcome.kind).toBe('completed');
      const { outcome } = await run(credential);
      // The other families advertise a reset 60 s ahead; only the exhausted one counts.
      expect(outcome).toMatchObject({
        kind: 'rate_limited',
        source: 'ratelimit-reset',
        until: new Date(NOW + 45_000),
      });
    });

    it('429 with both signals: cooling until the later one', async () => {
      const credential = keyWith({ rateLimit: { afterCalls: 0, resetSeconds: 12.5, signals: 'all' } });
      const { outcome } = await run(credential);
      // retry-after is whole seconds (13), the reset header 12.5 s rounded up to the second (13).
      expect(outcome).toMatchObject({ kind: 'rate_limited', until: new Date(NOW + 13_000) });
    });

    it('429 without any reset signal: the default cooldown', async () => {
      const credential = keyWith({ rateLimit: { afterCalls: 0, resetSeconds: 30, signals: 'none' } });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({
        kind: 'rate_limited',
        source: 'default',
        until: new Date(NOW + 60_000),
      });
    });

    it('429 whose reset is already past: the default cooldown', async () => {
      const credential = keyWith({
        rateLimit: { afterCalls: 0, resetSeconds: 30, signals: 'all', advertisedResetSeconds: -120 },
      });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({
        kind: 'rate_limited',
        source: 'default',
        until: new Date(NOW + 60_000),
      });
    });

    it('429 with a reset years ahead: clamped to one hour', async () => {
      const credential = keyWith({
        rateLimit: {
          afterCalls: 0,
          resetSeconds: 30,
          signals: 'reset',
          advertisedResetSeconds: 5 * 365 * 86_400,
        },
      });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({
        kind: 'rate_limited',
        source: 'ratelimit-reset',
        until: new Date(NOW + 3_600_000),
      });
      expect(outcome.kind === 'rate_limited' && outcome.message).toContain('clamped');
    });
  });

  describe('rejected credentials are not retried', () => {
    it.each([
      ['invalid_key', 'invalid_credential', 'invalid x-api-key'],
      ['permission', 'missing_permission', 'does not have permission'],
      ['spend_limit', 'spend_limit', 'credit balance is too low'],
    ] as const)('%s -> %s', async (reject, code, text) => {
      const credential = keyWith({ reject });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({ kind: 'credential_rejected', code });
      expect(outcome.kind === 'credential_rejected' && outcome.reason).toContain(text);
      expect(callsOf(credential)).toHaveLength(1);
    });

    it('a key that cannot be sent in a header is refused without a request', async () => {
      const { outcome } = await run({
        kind: 'api_key',
        secret: 'sk-ant\nx',
        baseUrl: emulator.baseUrl('anthropic'),
      });
      expect(outcome).toMatchObject({ kind: 'credential_rejected', code: 'invalid_credential' });
      const bad = await run({ kind: 'api_key', secret: 'sk-ant-x', baseUrl: 'ftp://example.com' });
      expect(bad.outcome).toMatchObject({ kind: 'credential_rejected', code: 'invalid_credential' });
    });
  });

  describe('transient failures', () => {
    it('a burst of 529s is retried on the same key until the stream completes', async () => {
      const credential = keyWith({ transientErrors: { status: 529, count: 2 }, chunks: 3 });
      const { outcome, text } = await run(credential);
      expect(outcome.kind).toBe('completed');
      expect(text).toHaveLength(3);
      expect(callsOf(credential).map((c) => c.status)).toEqual([529, 529, 200]);
    });

    it('a persistent 500 gives up after the bounded attempts as failed, retryable', async () => {
      const credential = keyWith({ transientErrors: { status: 500, count: null } });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({ kind: 'failed', retryable: true });
      expect(callsOf(credential)).toHaveLength(FAST_RETRY.attempts);
    });

    it('a non-JSON 502 page is reported readably', async () => {
      const credential = keyWith({ transientErrors: { status: 502, count: null } });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({ kind: 'failed', retryable: true });
      expect(outcome.kind === 'failed' && outcome.reason).toContain('502 Bad Gateway');
    });

    it('an overloaded_error event before any text is retried like a 529', async () => {
      const credential = keyWith({ streamEnding: 'overloaded' });
      const { outcome, text } = await run(credential);
      expect(outcome).toMatchObject({ kind: 'failed', retryable: true });
      expect(outcome.kind === 'failed' && outcome.reason).toContain('overloaded_error');
      expect(text).toEqual([]);
      expect(callsOf(credential)).toHaveLength(FAST_RETRY.attempts);
    });

    it('a stream that goes silent hits the idle timeout and fails, retryable', async () => {
      const credential = keyWith({ streamEnding: 'never' });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({ kind: 'failed', retryable: true });
      expect(outcome.kind === 'failed' && outcome.reason).toContain('no data from Anthropic');
    });

    it('a connection cut after output started is not retried (it would repeat the output)', async () => {
      const credential = keyWith({
        text: ['one ', 'two ', 'three ', 'four '],
        streamEnding: 'cut',
        latencyMs: 1,
      });
      const { outcome, text } = await run(credential);
      expect(outcome).toMatchObject({ kind: 'failed', retryable: true });
      expect(text).toEqual(['one ', 'two ']);
      expect(callsOf(credential)).toHaveLength(1);
    });
  });

  describe('hostile responses never crash the driver', () => {
    it('broken SSE fails with a reason and is not retried', async () => {
      const credential = keyWith({ streamEnding: 'broken' });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({ kind: 'failed', retryable: false });
      expect(outcome.kind === 'failed' && outcome.reason).toContain('malformed stream');
      expect(callsOf(credential)).toHaveLength(1);
    });

    it('headers larger than the client accepts fail the run, retryable', async () => {
      const credential = keyWith({ hugeHeaderBytes: 200_000 });
      const { outcome } = await run(credential);
      expect(outcome).toMatchObject({ kind: 'failed', retryable: true });
    });

    it('an unreachable endpoint fails after the retries, retryable', async () => {
      const closed = await startProviderEmulator();
      const baseUrl = closed.baseUrl('anthropic');
      await closed.close();
      const { outcome } = await run({ kind: 'api_key', secret: 'sk-ant-nobody', baseUrl });
      expect(outcome).toMatchObject({ kind: 'failed', retryable: true });
      expect(outcome.kind === 'failed' && outcome.reason).toContain('ECONNREFUSED');
    });
  });

  // A cancel that does not interrupt shows up as a hang, cut short by these timeouts.
  describe('cancel', { timeout: 10_000 }, () => {
    it('stops a running stream and resolves cancelled', async () => {
      const credential = keyWith({ chunks: 10_000, latencyMs: 5 });
      const abort = new AbortController();
      const { outcome, text } = await run(credential, { signal: abort.signal, onText: () => abort.abort() });
      expect(outcome).toEqual({ kind: 'cancelled' });
      expect(text.length).toBeLessThan(10_000);
    });

    it('interrupts a silent stream even when the idle timeout is far away', async () => {
      const patient = createAnthropicDriver({ now, retry: FAST_RETRY, idleTimeoutMs: 600_000 });
      const credential = keyWith({ streamEnding: 'never' });
      const abort = new AbortController();
      const pending = run(credential, { driver: patient, signal: abort.signal });
      await expect.poll(() => callsOf(credential).length).toBe(1);
      abort.abort();
      expect((await pending).outcome).toEqual({ kind: 'cancelled' });
    });

    it('interrupts the wait between retries', async () => {
      const credential = keyWith({ transientErrors: { status: 529, count: null, retryAfterSeconds: 29 } });
      const abort = new AbortController();
      const pending = run(credential, { signal: abort.signal });
      await expect.poll(() => callsOf(credential).length).toBe(1);
      abort.abort();
      expect((await pending).outcome).toEqual({ kind: 'cancelled' });
      expect(callsOf(credential)).toHaveLength(1);
    });

    it('does not call the provider when already cancelled', async () => {
      const credential = keyWith({});
      const abort = new AbortController();
      abort.abort();
      expect((await run(credential, { signal: abort.signal })).outcome).toEqual({ kind: 'cancelled' });
      expect(callsOf(credential)).toHaveLength(0);
    });
  });

  describe('verify', () => {
    it('a working key is ok, via one model listing', async () => {
      const credential = keyWith({});
      expect(await driver.verify(credential)).toEqual({ kind: 'ok' });
      expect(callsOf(credential)).toMatchObject([{ method: 'GET', path: '/v1/models' }]);
    });

    it('an invalid key is rejected as invalid_credential', async () => {
      expect(await driver.verify(keyWith({ reject: 'invalid_key' }))).toMatchObject({
        kind: 'credential_rejected',
        code: 'invalid_credential',
      });
    });

    it('a key without permission is rejected as missing_permission', async () => {
      expect(await driver.verify(keyWith({ reject: 'permission' }))).toMatchObject({
        kind: 'credential_rejected',
        code: 'missing_permission',
      });
    });

    it('an unreachable endpoint is unavailable, not an invalid key', async () => {
      const closed = await startProviderEmulator();
      const baseUrl = closed.baseUrl('anthropic');
      await closed.close();
      expect(await driver.verify({ kind: 'api_key', secret: 'sk-ant-x', baseUrl })).toMatchObject({
        kind: 'unavailable',
      });
    });
  });
});
