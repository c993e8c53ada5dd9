import { AGENTS_WORKSPACE, type DomainEvent } from '@flywheel/schemas';
import { describe, expect, it } from 'vitest';
import { type AgentRow, agentsProjection } from './agents.projection';
import { commit, memoryRows } from './test-events';

const registered: DomainEvent = {
  type: 'AgentRegistered',
  data: { name: 'box-1', providers: ['anthropic', 'openai'], maxConcurrent: 4, version: '1.0.0' },
};

function agent(...events: (readonly [DomainEvent, string?])[]): AgentRow {
  const rows = memoryRows();
  for (const [e, at] of events) {
    for (const c of agentsProjection.apply(commit('agent', 'g1', [e], at), rows)) {
      if (c.op === 'put') rows.put('agents', ['acme', 'g1'], c.row);
    }
  }
  return rows.get('agents', ['acme', 'g1']) as AgentRow;
}

describe('agents projection', () => {
  it('goes Online, Draining, Online, Offline with a reason, and comes back on re-registration', () => {
    expect(agent([registered, '2026-03-01T12:00:00.000Z'])).toMatchObject({
      status: 'Online',
      providers: ['anthropic', 'openai'],
      max_concurrent: 4,
      last_seen_at: new Date('2026-03-01T12:00:00.000Z'),
    });
    expect(agent([registered], [{ type: 'AgentDrainStarted', data: {} }])).toMatchObject({
      status: 'Draining',
    });
    expect(
      agent([registered], [{ type: 'AgentDrainStarted', data: {} }], [{ type: 'AgentResumed', data: {} }]),
    ).toMatchObject({
      status: 'Online',
    });
    const lost = agent([registered], [{ type: 'AgentWentOffline', data: { reason: 'heartbeats stopped' } }]);
    expect(lost).toMatchObject({ status: 'Offline', offline_reason: 'heartbeats stopped' });
    const back = agent(
      [registered, '2026-03-01T12:00:00.000Z'],
      [{ type: 'AgentWentOffline', data: { reason: 'heartbeats stopped' } }],
      [registered, '2026-03-01T12:30:00.000Z'],
    );
    expect(back).toMatchObject({
      status: 'Online',
      offline_reason: null,
      registered_at: new Date('2026-03-01T12:30:00.000Z'),
    });
    expect(back.created_seq).toBeLessThan(back.last_seq);
  });

  it('binds a session to the agent that started it until the session is released', () => {
    const rows = memoryRows();
    // Agents live under the shared agents workspace, whatever workspace their sessions are in.
    for (const c of agentsProjection.apply(commit('agent', 'g1', [registered]), rows)) {
      if (c.op === 'put') rows.put('agents', [AGENTS_WORKSPACE, 'g1'], c.row);
    }
    const started = commit(
      'session',
      's1',
      [{ type: 'SessionStarted', data: { agentId: 'g1', attempt: 1 } }],
      '2026-03-01T15:00:00.000Z',
    );
    expect(agentsProjection.apply(started, rows)).toEqual([
      {
        op: 'put',
        table: 'agent_sessions',
        row: {
          workspace: 'acme',
          session_id: 's1',
          agent_id: 'g1',
          since: new Date('2026-03-01T15:00:00.000Z'),
        },
      },
      {
        op: 'put',
        table: 'agents',
        row: expect.objectContaining({ last_seen_at: new Date('2026-03-01T15:00:00.000Z') }),
      },
    ]);
    const failed = commit('session', 's1', [{ type: 'SessionFailed', data: { reason: 'agent lost' } }]);
    expect(agentsProjection.apply(failed, rows)).toEqual([
      { op: 'delete', table: 'agent_sessions', key: ['acme', 's1'] },
    ]);
  });
});
