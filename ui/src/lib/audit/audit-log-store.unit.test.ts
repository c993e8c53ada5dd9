import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/api-error';
import type { AuditEvent, AuditPage } from '../api/resources';
import { type AuditLogState, auditLogStore } from './audit-log-store';
import type { AuditFilters } from './audit-query';

const FILTERS: AuditFilters = { aggregateType: 'session', aggregateId: 'ses_1', type: null, actorId: null };

const event = (seq: number): AuditEvent => ({
  id: `evt_${seq}`,
  type: 'SessionStarted',
  version: 1,
  aggregate: { type: 'session', id: 'ses_1' },
  at: '2026-01-01T00:00:00.000Z',
  actor: { kind: 'agent', id: 'agt_1' },
  causationId: `cmd_${seq}`,
  correlationId: 'cor_1',
  data: { attempt: 1 },
  seq,
  idx: 0,
});
const page = (seqs: number[], nextCursor: string | null): AuditPage => ({
  items: seqs.map(event),
  nextCursor,
});

/** A loader whose every call waits until the test answers it. */
function setup() {
  const calls: { cursor: string | null; answer: (page: AuditPage) => void; fail: (err: Error) => void }[] =
    [];
  const store = auditLogStore(FILTERS, (filters, cursor) => {
    expect(filters).toBe(FILTERS);
    return new Promise((answer, fail) => calls.push({ cursor, answer, fail }));
  });
  let state: AuditLogState | undefined;
  const stop = store.subscribe((s) => {
    state = s;
  });
  const settle = () => new Promise((r) => setTimeout(r));
  const seqs = () => state!.events.map((e) => e.seq);
  return { store, calls, stop, settle, seqs, state: () => state! };
}

describe('auditLogStore', () => {
  it('loads the newest page for its first subscriber, then appends older pages by cursor', async () => {
    const t = setup();
    expect(t.calls.map((c) => c.cursor)).toEqual([null]);
    expect(t.state()).toMatchObject({ loaded: false, busy: true });
    t.calls[0]!.answer(page([9, 8], 'c1'));
    await t.settle();
    expect(t.state()).toMatchObject({ loaded: true, busy: false, nextCursor: 'c1', error: null });
    t.store.more();
    t.store.more();
    expect(t.calls.map((c) => c.cursor)).toEqual([null, 'c1']);
    t.calls[1]!.answer(page([7], null));
    await t.settle();
    expect(t.seqs()).toEqual([9, 8, 7]);
    t.store.more();
    expect(t.calls).toHaveLength(2);
    t.stop();
  });

  it('keeps what it shows while a refresh loads, then shows the newest page alone', async () => {
    const t = setup();
    t.calls[0]!.answer(page([9, 8], 'c1'));
    await t.settle();
    t.store.refresh();
    expect(t.state()).toMatchObject({ busy: true });
    expect(t.seqs()).toEqual([9, 8]);
    t.calls[1]!.answer(page([10, 9], 'c2'));
    await t.settle();
    expect(t.seqs()).toEqual([10, 9]);
    expect(t.state().nextCursor).toBe('c2');
    t.stop();
  });

  it('drops an older page that arrives after a refresh asked for the newest', async () => {
    const t = setup();
    t.calls[0]!.answer(page([9, 8], 'c1'));
    await t.settle();
    t.store.more();
    t.store.refresh();
    t.calls[2]!.answer(page([10], null));
    t.calls[1]!.answer(page([7], null));
    await t.settle();
    expect(t.seqs()).toEqual([10]);
    expect(t.state().busy).toBe(false);
    t.stop();
  });

  it("shows the gateway's message and keeps the events it had when a page fails", async () => {
    const t = setup();
    t.calls[0]!.fail(new ApiError(403, 'forbidden', 'role viewer may not read the audit log'));
    await t.settle();
    expect(t.state()).toMatchObject({
      loaded: false,
      busy: false,
      error: 'role viewer may not read the audit log',
    });
    t.store.refresh();
    t.calls[1]!.answer(page([9], 'c1'));
    await t.settle();
    t.store.more();
    t.calls[2]!.fail(new ApiError(0, 'network', 'the gateway cannot be reached'));
    await t.settle();
    expect(t.state()).toMatchObject({ error: 'the gateway cannot be reached', nextCursor: 'c1' });
    expect(t.seqs()).toEqual([9]);
    t.stop();
  });
});
