import { describe, expect, it } from 'vitest';
import {
  agentLostCommand,
  agentSilence,
  DEFAULT_TIMINGS,
  startTimeoutCommand,
  startTimeoutsSoFar,
  verificationStep,
  verifyBackoffMs,
} from './timer-rules';

describe('start timeout', () => {
  it('requeues a session no agent started the first time, and fails it the second', () => {
    expect(startTimeoutCommand(0, DEFAULT_TIMINGS)).toEqual({
      type: 'RequeueSession',
      data: { reason: 'no agent started the session within 60 s', failedAccountId: null, eta: null },
    });
    expect(startTimeoutCommand(1, DEFAULT_TIMINGS)).toEqual({
      type: 'FailSession',
      data: { reason: 'no agent started the session' },
    });
  });
});

describe('start timeouts so far', () => {
  it('counts only the requeues the dispatcher made because no agent started the session', () => {
    const requeued = (reason: string) =>
      ({ type: 'SessionRequeued', data: { reason, failedAccountId: null, eta: null } }) as const;
    expect(
      startTimeoutsSoFar([
        requeued('rate limited on acc_a'),
        requeued('no agent started the session within 60 s'),
        requeued('agent lost'),
      ]),
    ).toBe(1);
  });
});

describe('agent lost', () => {
  it('fails a session that already streamed output and requeues one that did not', () => {
    expect(agentLostCommand(true)).toEqual({ type: 'FailSession', data: { reason: 'agent lost' } });
    expect(agentLostCommand(false)).toEqual({
      type: 'RequeueSession',
      data: { reason: 'agent lost', failedAccountId: null, eta: null },
    });
  });

  it('an agent is lost once it has been silent for the whole window, not before', () => {
    const last = '2026-01-01T00:00:00.000Z';
    expect(agentSilence(last, new Date('2026-01-01T00:00:14.999Z'), DEFAULT_TIMINGS)).toEqual({
      lost: false,
      recheckAt: '2026-01-01T00:00:15.000Z',
    });
    expect(agentSilence(last, new Date('2026-01-01T00:00:15.000Z'), DEFAULT_TIMINGS)).toEqual({ lost: true });
  });
});

describe('verification', () => {
  const until = new Date('2026-01-01T00:01:00.000Z');

  it('maps each driver verdict to account commands', () => {
    expect(verificationStep({ kind: 'ok' }, 0, DEFAULT_TIMINGS)).toEqual({
      kind: 'record',
      commands: [{ type: 'RecordAccountVerified', data: {} }],
    });
    expect(
      verificationStep(
        { kind: 'credential_rejected', code: 'invalid_credential', reason: 'invalid x-api-key' },
        0,
        DEFAULT_TIMINGS,
      ),
    ).toEqual({
      kind: 'record',
      commands: [
        { type: 'RecordAccountError', data: { code: 'invalid_credential', reason: 'invalid x-api-key' } },
      ],
    });
  });

  it('a rate-limited key is a working key: verified, then cooling until the reset', () => {
    expect(
      verificationStep(
        { kind: 'rate_limited', until, source: 'retry-after', message: '429' },
        0,
        DEFAULT_TIMINGS,
      ),
    ).toEqual({
      kind: 'record',
      commands: [
        { type: 'RecordAccountVerified', data: {} },
        {
          type: 'RecordRateLimit',
          data: { until: until.toISOString(), source: 'retry-after', sessionId: null },
        },
      ],
    });
  });

  it('an unavailable provider is asked again later with a growing, capped backoff', () => {
    expect(verificationStep({ kind: 'unavailable', reason: '529' }, 2, DEFAULT_TIMINGS)).toEqual({
      kind: 'retry',
      inMs: 4000,
      attempt: 3,
    });
    expect([0, 1, 2, 3].map((a) => verifyBackoffMs(a, DEFAULT_TIMINGS))).toEqual([1000, 2000, 4000, 8000]);
    expect(verifyBackoffMs(40, DEFAULT_TIMINGS)).toBe(DEFAULT_TIMINGS.verifyMaxBackoffMs);
  });
});
