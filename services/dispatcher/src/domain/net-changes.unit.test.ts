import { describe, expect, it } from 'vitest';
import type { Change } from './event-reactions';
import { netChanges } from './net-changes';

const queue = (sessionId: string, seq: number): Change => ({
  op: 'session.queue',
  seq,
  sessionId,
  workspace: 'acme',
  provider: 'anthropic',
  model: null,
  prompt: 'p',
  requestedAccountId: null,
});

describe('netChanges', () => {
  it('a session queued and changed in one batch is one insert with its queue position and last version', () => {
    const net = netChanges([
      queue('ses_1', 10),
      {
        op: 'session.patch',
        seq: 11,
        sessionId: 'ses_1',
        patch: { waitingReason: 'busy', waitingEta: null },
      },
      {
        op: 'session.patch',
        seq: 12,
        sessionId: 'ses_1',
        patch: { status: 'Starting', attempt: 1, accountId: 'acc_a' },
      },
    ]);
    expect(net.sessions.get('ses_1')).toEqual({
      kind: 'upsert',
      queued: expect.objectContaining({ seq: 10, sessionId: 'ses_1' }),
      patch: { waitingReason: 'busy', waitingEta: null, status: 'Starting', attempt: 1, accountId: 'acc_a' },
      version: 12,
    });
  });

  it('later fields win and a removal wins over everything before it', () => {
    const net = netChanges([
      { op: 'session.patch', seq: 5, sessionId: 'ses_2', patch: { status: 'Starting', accountId: 'acc_a' } },
      { op: 'session.patch', seq: 6, sessionId: 'ses_2', patch: { status: 'Queued', accountId: null } },
      { op: 'session.patch', seq: 7, sessionId: 'ses_3', patch: { status: 'Running' } },
      { op: 'session.remove', sessionId: 'ses_3' },
      { op: 'session.patch', seq: 9, sessionId: 'ses_3', patch: { status: 'Running' } },
    ]);
    expect(net.sessions.get('ses_2')).toEqual({
      kind: 'upsert',
      queued: null,
      patch: { status: 'Queued', accountId: null },
      version: 6,
    });
    expect(net.sessions.get('ses_3')).toEqual({ kind: 'removed' });
  });

  it('keeps the latest use of an account and the last operation on each timer', () => {
    const timer = { kind: 'cooldown_end' as const, key: 'acc_a', workspace: 'acme', payload: {} };
    const net = netChanges([
      { op: 'account.used', accountId: 'acc_a', at: '2026-01-01T00:00:02.000Z' },
      { op: 'account.used', accountId: 'acc_a', at: '2026-01-01T00:00:01.000Z' },
      { op: 'timer.set', timer: { ...timer, dueAt: '2026-01-01T00:01:00.000Z' } },
      { op: 'timer.clear', kind: 'cooldown_end', key: 'acc_a' },
      { op: 'timer.set', timer: { ...timer, key: 'acc_b', dueAt: '2026-01-01T00:02:00.000Z' } },
    ]);
    expect(net.accounts.get('acc_a')).toMatchObject({ usedAt: '2026-01-01T00:00:02.000Z', version: 0 });
    expect([...net.timers.values()]).toEqual([
      { op: 'clear', kind: 'cooldown_end', key: 'acc_a' },
      { op: 'set', timer: { ...timer, key: 'acc_b', dueAt: '2026-01-01T00:02:00.000Z' } },
    ]);
  });
});
