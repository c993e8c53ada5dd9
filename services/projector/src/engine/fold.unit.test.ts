import { PROJECTIONS, ProjectionError } from '@flywheel/core';
import { sessionRequested } from '@flywheel/core/testing';
import { describe, expect, it } from 'vitest';
import { COMMIT_PROJECTIONS, OUTPUT_PROJECTIONS } from '../projections';
import type { CommitMessage } from '../projections/projection';
import { sessionsProjection } from '../projections/sessions.projection';
import { commit } from '../projections/test-events';
import type { Decoded } from './decode';
import { foldBatch } from './fold';

const raw = (seq: number) => ({
  seq,
  subject: 'fw.events.acme.session.s',
  data: new TextEncoder().encode('{}'),
});
const ok = (m: CommitMessage): Decoded<CommitMessage> => ({ seq: m.seq, raw: raw(m.seq), message: m });
const none = { get: () => undefined };

describe('foldBatch', () => {
  it('applies messages in order, each seeing the rows the ones before it wrote', () => {
    const a = commit('session', 's1', [sessionRequested('one')]);
    const b = commit('session', 's1', [{ type: 'SessionCancelled', data: { reason: 'stop' } }]);
    const fold = foldBatch(sessionsProjection, [ok(a), ok(b)], none, () => undefined);
    expect([...fold.state.get('sessions')!.values()].map((e) => e.row?.status)).toEqual(['Cancelled']);
    expect(fold.deadLetters).toEqual([]);
  });

  it('dead-letters a message that cannot be applied, leaving no trace of it, and goes on', () => {
    const orphan = commit('session', 's9', [{ type: 'SessionStarted', data: { agentId: 'g', attempt: 1 } }]);
    const refused = commit('session', 's2', [sessionRequested('refused')]);
    const good = commit('session', 's3', [sessionRequested('fine')]);
    const undecodable: Decoded<CommitMessage> = {
      seq: 99,
      raw: raw(99),
      error: new ProjectionError('not JSON'),
    };
    const fold = foldBatch(
      sessionsProjection,
      [ok(orphan), ok(refused), undecodable, ok(good)],
      none,
      (_t, row) => {
        if (row.prompt === 'refused') throw new ProjectionError('sessions.prompt contains a NUL character');
      },
    );
    expect([...fold.state.get('sessions')!.keys()]).toEqual(['acme\u0000s3']);
    expect(fold.deadLetters.map((l) => [l.streamSeq, l.eventType, l.error])).toEqual([
      [orphan.seq, 'SessionStarted', expect.stringMatching(/never requested/)],
      [refused.seq, 'SessionRequested', 'sessions.prompt contains a NUL character'],
      [99, '(undecodable)', 'not JSON'],
    ]);
  });
});

describe('the projection registry', () => {
  it('matches the read models core knows: names, streams and tables', () => {
    const registered = [
      ...COMMIT_PROJECTIONS.map((p) => ({
        name: p.name,
        source: 'events',
        tables: p.tables.map((t) => t.name),
      })),
      ...OUTPUT_PROJECTIONS.map((p) => ({
        name: p.name,
        source: 'output',
        tables: p.tables.map((t) => t.name),
      })),
    ];
    expect(registered).toEqual(
      Object.entries(PROJECTIONS).map(([name, p]) => ({ name, source: p.source, tables: [...p.tables] })),
    );
  });
});
