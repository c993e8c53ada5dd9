import { describe, expect, it } from 'vitest';
import { currentVersion, EventSchemaError, upcastEventData, validateEventData } from './event-registry';

describe('event registry', () => {
  it('reads a SessionRequested written as v1 as v2', () => {
    expect(currentVersion('SessionRequested')).toBe(2);
    const v1 = { provider: 'anthropic', prompt: 'fix the flaky test', model: null };
    expect(upcastEventData('SessionRequested', 1, v1)).toEqual({
      ...v1,
      requestedAccountId: null,
      metadata: {},
      maxAttempts: 3,
    });
  });

  it('reads current-version events unchanged', () => {
    const v2 = {
      provider: 'openai',
      prompt: 'p',
      model: 'gpt',
      requestedAccountId: 'acc_1',
      metadata: { a: 'b' },
      maxAttempts: 2,
    };
    expect(upcastEventData('SessionRequested', 2, v2)).toEqual(v2);
  });

  it('rejects malformed data with the field path', () => {
    const err = (() => {
      try {
        validateEventData('AccountRateLimited', { until: 'tomorrow', source: 'guess', sessionId: null });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EventSchemaError);
    expect((err as EventSchemaError).issues.map((i) => i.path)).toEqual(['data.until', 'data.source']);
  });

  it('rejects a malformed old version before upcasting, and unknown versions and types', () => {
    expect(() => upcastEventData('SessionRequested', 1, { provider: 'anthropic' })).toThrow(/data\.prompt/);
    expect(() => upcastEventData('SessionRequested', 3, {})).toThrow(/version 3 is not known/);
    expect(() => validateEventData('NoSuchEvent' as 'SessionFailed', {})).toThrow(/unknown event type/);
  });
});
