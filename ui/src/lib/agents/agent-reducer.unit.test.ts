import { describe, expect, it } from 'vitest';
import { liveEvent } from '../live/test-events';
import { reduceAgent } from './agent-reducer';

const registered = (seq: number) =>
  liveEvent(
    'AgentRegistered',
    'ag1',
    seq,
    { name: 'w1', providers: ['anthropic'], maxConcurrent: 4, version: '1' },
    `2026-01-01T00:00:0${seq}.000Z`,
  );

describe('reduceAgent', () => {
  it('is Online when registered, Draining, then Offline with the reason and no sessions', () => {
    const online = reduceAgent(null, registered(1));
    expect(online).toMatchObject({
      status: 'Online',
      name: 'w1',
      lastSeenAt: '2026-01-01T00:00:01.000Z',
    });
    const draining = reduceAgent(
      online,
      liveEvent('AgentDrainStarted', 'ag1', 2, {}, '2026-01-01T00:00:02.000Z'),
    );
    expect(draining).toMatchObject({ status: 'Draining', lastSeenAt: '2026-01-01T00:00:02.000Z' });
    const offline = reduceAgent(
      { ...draining!, sessionsRunning: 1 },
      liveEvent('AgentWentOffline', 'ag1', 3, { reason: 'heartbeats stopped' }),
    );
    expect(offline).toMatchObject({
      status: 'Offline',
      offlineReason: 'heartbeats stopped',
      sessionsRunning: 0,
    });
    // Silence is not a sign of life: the last time it was heard from stays.
    expect(offline?.lastSeenAt).toBe('2026-01-01T00:00:02.000Z');
  });

  it('comes back Online when a restarted agent registers again', () => {
    const offline = reduceAgent(
      reduceAgent(null, registered(1)),
      liveEvent('AgentWentOffline', 'ag1', 2, { reason: 'lost' }),
    );
    expect(reduceAgent(offline, registered(3))).toMatchObject({ status: 'Online', offlineReason: null });
  });
});
