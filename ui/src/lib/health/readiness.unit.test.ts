import type { Ready } from '@flywheel/schemas';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeReadiness, READINESS_POLL_MS, type Readiness, readinessStore } from './readiness';

const item = (
  name: string,
  over: Partial<{ ok: boolean; lag: number; stopped: boolean; checkpoint: number }> = {},
) => ({
  name,
  ok: true,
  checkpoint: 100,
  streamLastSeq: 100,
  lag: 0,
  deadLetters: 0,
  stopped: false,
  updatedAt: null,
  ...over,
});

/** A `/ready` answer: every check passing but those given, the projections as `items` say. */
function body(over: Partial<Ready['checks']> = {}, items = [item('sessions'), item('accounts')]): Ready {
  const checks: Ready['checks'] = {
    nats: { ok: true },
    streams: { ok: true, missing: [] },
    postgres: { ok: true },
    migrations: { ok: true, pending: [] },
    projections: { ok: items.every((i) => i.ok), maxLag: 1000, items },
    ...over,
  };
  const ready = Object.values(checks).every((c) => c.ok);
  return { status: ready ? 'ready' : 'not_ready', checks };
}

describe('describeReadiness', () => {
  it('says nothing when the gateway is ready', () => {
    expect(describeReadiness(body())).toBeNull();
  });

  it('names a stopped read model and how far behind it is', () => {
    const r = describeReadiness(
      body({}, [
        item('sessions', { ok: false, stopped: true, checkpoint: 1200, lag: 34_567 }),
        item('accounts'),
      ]),
    );
    expect(r).toEqual({
      kind: 'stale',
      problems: ['sessions: not being projected, 34,567 events behind (at 1,200 of 100)'],
    });
  });

  it('names a read model further behind than the gateway allows', () => {
    const r = describeReadiness(body({}, [item('sessions'), item('accounts', { ok: false, lag: 2500 })]));
    expect(r?.problems).toEqual(['accounts: 2,500 events behind (more than 1,000)']);
  });

  it('says a stopped read model that is up to date will not show new events', () => {
    const r = describeReadiness(body({}, [item('agents', { ok: false, stopped: true, checkpoint: 12 })]));
    expect(r?.problems).toEqual(['agents: not being projected; up to date at 12, new events will not show']);
  });

  it('names the failing dependencies when no read model is to blame', () => {
    // As /ready says it when measuring the projections failed: no items.
    const projections = { ok: false, message: 'no answer within 2000 ms', maxLag: 1000, items: [] };
    const r = describeReadiness(
      body({ postgres: { ok: false, message: 'connect ECONNREFUSED' }, projections }),
    );
    expect(r).toEqual({
      kind: 'degraded',
      problems: ['postgres: connect ECONNREFUSED', 'projections: no answer within 2000 ms'],
    });
  });
});

describe('readinessStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const answer = (status: number, b: unknown) => new Response(JSON.stringify(b), { status });

  it('asks /ready at once and then every poll, keeps the last answer when unreachable, and stops when unused', async () => {
    const answers: (() => Response)[] = [
      () => answer(503, body({}, [item('sessions', { ok: false, stopped: true, lag: 5 })])),
      () => {
        throw new TypeError('fetch failed');
      },
      () => answer(200, body()),
    ];
    const fetchFn = vi.fn(async (url: string) => {
      expect(url).toBe('/ready');
      return answers.shift()!();
    });
    let seen: Readiness | null | undefined;
    const stop = readinessStore(fetchFn as unknown as typeof fetch).subscribe((r) => {
      seen = r;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(seen?.kind).toBe('stale');
    await vi.advanceTimersByTimeAsync(READINESS_POLL_MS);
    expect(fetchFn).toHaveBeenCalledTimes(2);
    expect(seen?.kind).toBe('stale');
    await vi.advanceTimersByTimeAsync(READINESS_POLL_MS);
    expect(seen).toBeNull();
    stop();
    await vi.advanceTimersByTimeAsync(READINESS_POLL_MS * 3);
    expect(fetchFn).toHaveBeenCalledTimes(3);
  });
});
