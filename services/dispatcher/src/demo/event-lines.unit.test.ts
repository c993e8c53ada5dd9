import type { DomainEvent } from '@flywheel/schemas';
import { describe, expect, it } from 'vitest';
import { describeEvent } from './event-lines';

const names = { account: (id: string) => ({ acc_1: 'demo-bursty', acc_2: 'demo-steady' })[id] ?? id };
const at = '2026-01-01T10:00:00.000Z';
const line = (aggregateId: string, event: DomainEvent) => describeEvent({ ...event, aggregateId, at }, names);

describe('demo event lines', () => {
  it('names accounts by label and says where a session goes', () => {
    expect(
      line('ses_0123456789abcdef', { type: 'SessionAssigned', data: { accountId: 'acc_1', attempt: 2 } }),
    ).toEqual({
      who: 'ses_01234567…',
      what: 'dispatched',
      detail: '→ demo-bursty (attempt 2)',
      tone: 'plain',
    });
  });

  it('shows a cooldown with how long it lasts, and a wait with its ETA', () => {
    const cooldown = line('acc_1', {
      type: 'AccountRateLimited',
      data: { until: '2026-01-01T10:00:12.000Z', source: 'retry-after', sessionId: null },
    });
    expect(cooldown).toMatchObject({ who: 'demo-bursty', what: 'COOLDOWN', tone: 'notice' });
    expect(cooldown!.detail).toContain('(12 s, from retry-after)');
    const waiting = line('ses_1', {
      type: 'SessionWaiting',
      data: { reason: 'every anthropic account is cooling down', eta: '2026-01-01T10:00:06.000Z' },
    });
    expect(waiting!.detail).toMatch(/^every anthropic account is cooling down; ETA .* \(in 6 s\)$/);
  });

  it('explains a failover with the reason the account failed', () => {
    expect(
      line('ses_1', {
        type: 'SessionRequeued',
        data: { reason: 'rate limited on demo-bursty', failedAccountId: 'acc_1', eta: null },
      }),
    ).toMatchObject({
      what: 'failover',
      detail: 'rate limited on demo-bursty; back in the queue for another account',
      tone: 'notice',
    });
  });

  it('marks failures and lost agents as bad news', () => {
    expect(line('ses_1', { type: 'SessionFailed', data: { reason: 'agent lost' } })).toMatchObject({
      tone: 'bad',
    });
    expect(
      line('agt_1', { type: 'AgentWentOffline', data: { reason: 'no heartbeat for 15 s' } }),
    ).toMatchObject({
      who: 'agent agt_1',
      what: 'OFFLINE',
      tone: 'bad',
    });
  });
});
