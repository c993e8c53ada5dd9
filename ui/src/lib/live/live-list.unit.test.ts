import { describe, expect, it } from 'vitest';
import { LiveList, type LiveListRules } from './live-list';
import { liveEvent } from './test-events';

interface Row {
  readonly id: string;
  readonly streamSeq: number;
  readonly status: string;
}

const reduce: LiveListRules<Row>['reduce'] = (row, e) => {
  if (e.type === 'Created') return row ?? { id: e.aggregate.id, streamSeq: e.seq, status: 'new' };
  if (!row) return null;
  return { ...row, streamSeq: e.seq, status: String(e.data.status) };
};

const list = (over: Partial<LiveListRules<Row>> = {}) =>
  new LiveList<Row>({ reduce, accepts: () => true, showsNew: true, mayEnter: () => false, ...over });

describe('LiveList', () => {
  it('holds events until the snapshot, then applies only those it does not reflect', () => {
    const l = list();
    l.apply(liveEvent('Changed', 'a', 5, { status: 'old' }));
    l.apply(liveEvent('Changed', 'a', 8, { status: 'newest' }));
    expect(l.view().loaded).toBe(false);
    l.load([{ id: 'a', streamSeq: 5, status: 'old' }]);
    expect(l.view()).toEqual({
      loaded: true,
      stale: false,
      rows: [{ id: 'a', streamSeq: 8, status: 'newest' }],
    });
  });

  it('never applies an event the snapshot already reflects', () => {
    const l = list();
    l.load([{ id: 'a', streamSeq: 9, status: 'current' }]);
    l.apply(liveEvent('Changed', 'a', 9, { status: 'replayed' }));
    l.apply(liveEvent('Changed', 'a', 3, { status: 'ancient' }));
    expect(l.view().rows[0]?.status).toBe('current');
  });

  it('applies every event of a commit newer than the snapshot, though they share a sequence', () => {
    const l = list();
    l.load([{ id: 'a', streamSeq: 4, status: 'x' }]);
    l.apply(liveEvent('Changed', 'a', 6, { status: 'first' }));
    l.apply(liveEvent('Changed', 'a', 6, { status: 'second' }));
    expect(l.view().rows[0]?.status).toBe('second');
  });

  it('puts new aggregates on top of the newest page only, and only when they match', () => {
    const newest = list({ accepts: (r) => r.id !== 'hidden' });
    newest.load([{ id: 'a', streamSeq: 1, status: 'x' }]);
    newest.apply(liveEvent('Created', 'b', 2));
    newest.apply(liveEvent('Created', 'hidden', 3));
    expect(newest.view().rows.map((r) => r.id)).toEqual(['b', 'a']);

    const older = list({ showsNew: false });
    older.load([{ id: 'a', streamSeq: 1, status: 'x' }]);
    older.apply(liveEvent('Created', 'b', 2));
    expect(older.view().rows.map((r) => r.id)).toEqual(['a']);
  });

  it('turns stale when a row it lacks may have entered the view, until the next snapshot', () => {
    const l = list({ mayEnter: (e) => e.data.status === 'Failed' });
    l.load([]);
    l.apply(liveEvent('Changed', 'z', 4, { status: 'Running' }));
    expect(l.view().stale).toBe(false);
    l.apply(liveEvent('Changed', 'z', 5, { status: 'Failed' }));
    expect(l.view().stale).toBe(true);
    l.reset();
    l.load([{ id: 'z', streamSeq: 5, status: 'Failed' }]);
    expect(l.view()).toMatchObject({ stale: false, rows: [{ id: 'z' }] });
  });
});
