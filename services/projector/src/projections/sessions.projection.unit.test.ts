import { ProjectionError } from '@flywheel/core';
import { type DomainEvent, SessionSummary } from '@flywheel/schemas';
import { describe, expect, it } from 'vitest';
import { finalRow } from '../engine/fold';
import type { Row } from './projection';
import { PROMPT_PREVIEW_LENGTH, type SessionRow, sessionsProjection } from './sessions.projection';
import { commit, memoryRows } from './test-events';

const requested: DomainEvent = {
  type: 'SessionRequested',
  data: {
    provider: 'anthropic',
    prompt: 'x'.repeat(500),
    model: 'claude',
    requestedAccountId: null,
    metadata: { team: 'core' },
    maxAttempts: 3,
  },
};

/** Given these commits for session s1, the row the projection ends with. */
function fold(...events: (readonly [DomainEvent, string?])[]): SessionRow {
  const rows = memoryRows();
  let last: Row | undefined;
  for (const [e, at] of events) {
    const m = commit('session', 's1', [e], at);
    for (const c of sessionsProjection.apply(m, rows)) {
      if (c.op !== 'put') throw new Error('sessions only puts rows');
      rows.put('sessions', ['acme', 's1'], c.row);
      last = c.row;
    }
  }
  return last as SessionRow;
}

describe('sessions projection', () => {
  it('a request is Queued with a prompt preview, its metadata and its creation sequence', () => {
    const row = fold([requested, '2026-03-01T12:00:00.000Z']);
    expect(row).toMatchObject({
      workspace: 'acme',
      id: 's1',
      status: 'Queued',
      attempts: 0,
      max_attempts: 3,
      metadata: { team: 'core' },
      created_at: new Date('2026-03-01T12:00:00.000Z'),
      queued_at: new Date('2026-03-01T12:00:00.000Z'),
    });
    expect(row.prompt).toHaveLength(500);
    expect(row.prompt_preview).toHaveLength(PROMPT_PREVIEW_LENGTH);
    expect(row.created_seq).toBe(row.last_seq);
  });

  it('records each transition: waiting, assigned, started, requeued with the failed account, completed', () => {
    const row = fold(
      [requested, '2026-03-01T12:00:00.000Z'],
      [
        {
          type: 'SessionWaiting',
          data: { reason: 'every account cooling', eta: '2026-03-01T12:05:00.000Z' },
        },
      ],
      [{ type: 'SessionAssigned', data: { accountId: 'a1', attempt: 1 } }, '2026-03-01T12:05:01.000Z'],
      [{ type: 'SessionStarted', data: { agentId: 'g1', attempt: 1 } }, '2026-03-01T12:05:02.000Z'],
      [
        { type: 'SessionRequeued', data: { reason: 'rate limited', failedAccountId: 'a1', eta: null } },
        '2026-03-01T12:06:00.000Z',
      ],
      [{ type: 'SessionAssigned', data: { accountId: 'a2', attempt: 2 } }, '2026-03-01T12:06:01.000Z'],
      [{ type: 'SessionStarted', data: { agentId: 'g2', attempt: 2 } }, '2026-03-01T12:06:02.000Z'],
      [
        { type: 'SessionCompleted', data: { outputChunks: 4, inputTokens: 10, outputTokens: 99 } },
        '2026-03-01T12:07:00.000Z',
      ],
    );
    expect(row).toMatchObject({
      status: 'Completed',
      account_id: 'a2',
      agent_id: 'g2',
      attempts: 2,
      failed_account_ids: ['a1'],
      queue_reason: null,
      queue_eta: null,
      output_chunks: 4,
      output_tokens: 99,
      queued_at: new Date('2026-03-01T12:06:00.000Z'),
      assigned_at: new Date('2026-03-01T12:06:01.000Z'),
      started_at: new Date('2026-03-01T12:06:02.000Z'),
      finished_at: new Date('2026-03-01T12:07:00.000Z'),
    });
  });

  it('derives the list item from the final state when the row is written, in the schema of a list item', () => {
    const row = fold(
      [requested, '2026-03-01T12:00:00.000Z'],
      [{ type: 'SessionAssigned', data: { accountId: 'a1', attempt: 1 } }, '2026-03-01T12:05:01.000Z'],
      [{ type: 'SessionStarted', data: { agentId: 'g1', attempt: 1 } }, '2026-03-01T12:05:02.000Z'],
    );
    expect(row.item).toBeUndefined();
    const written = finalRow(sessionsProjection.tables[0]!, row as unknown as Row) as SessionRow;
    const item = SessionSummary.parse(JSON.parse(written.item));
    expect(item).toEqual({
      id: 's1',
      status: 'Running',
      provider: 'anthropic',
      model: 'claude',
      promptPreview: 'x'.repeat(PROMPT_PREVIEW_LENGTH),
      accountId: 'a1',
      agentId: 'g1',
      attempts: 1,
      maxAttempts: 3,
      queueReason: null,
      eta: null,
      reason: null,
      metadata: { team: 'core' },
      createdAt: '2026-03-01T12:00:00.000Z',
      queuedAt: '2026-03-01T12:00:00.000Z',
      assignedAt: '2026-03-01T12:05:01.000Z',
      startedAt: '2026-03-01T12:05:02.000Z',
      finishedAt: null,
      updatedAt: '2026-03-01T12:05:02.000Z',
      streamSeq: row.last_seq,
    });
  });

  it('a failed or cancelled session carries its reason and no account or agent', () => {
    const failed = fold(
      [requested],
      [{ type: 'SessionAssigned', data: { accountId: 'a1', attempt: 1 } }],
      [
        { type: 'SessionFailed', data: { reason: 'no agent started the session' } },
        '2026-03-01T13:00:00.000Z',
      ],
    );
    expect(failed).toMatchObject({
      status: 'Failed',
      reason: 'no agent started the session',
      account_id: null,
      finished_at: new Date('2026-03-01T13:00:00.000Z'),
    });
    expect(fold([requested], [{ type: 'SessionCancelled', data: { reason: 'by olga' } }])).toMatchObject({
      status: 'Cancelled',
      reason: 'by olga',
    });
  });

  it('refuses an event for a session that was never requested, and a second request', () => {
    expect(() => fold([{ type: 'SessionStarted', data: { agentId: 'g1', attempt: 1 } }])).toThrow(
      ProjectionError,
    );
    expect(() => fold([requested], [requested])).toThrow(/requested twice/);
  });

  it('ignores commits of other aggregates', () => {
    const m = commit('account', 'a1', [{ type: 'AccountVerified', data: {} }]);
    expect(sessionsProjection.reads(m)).toEqual([]);
    expect(sessionsProjection.apply(m, memoryRows())).toEqual([]);
  });
});
