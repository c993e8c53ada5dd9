import type { DomainEvent } from '@flywheel/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfrastructureError, ValidationError, VersionConflictError } from '../errors/errors';
import { createTestContext, type TestContext } from '../testing';
import { type AppendOptions, createEventStore, type StreamRef } from './event-store';
import { createTopology } from './topology';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ migrate: false });
});
afterAll(async () => {
  await ctx?.dispose();
});

let n = 0;
const opts = (commandId = `cmd-${++n}-${Math.random().toString(36).slice(2)}`): AppendOptions => ({
  commandId,
  actor: { kind: 'system', id: 'test' },
  correlationId: commandId,
  now: new Date('2026-01-01T00:00:00Z'),
});
const waiting = (reason: string): DomainEvent => ({ type: 'SessionWaiting', data: { reason, eta: null } });
const ref = (id: string): StreamRef => ({ workspace: 'acme', type: 'session', id });

describe('event store', () => {
  it('appends a commit and loads it back with its version', async () => {
    const r = ref('s-load');
    const first = await ctx.eventStore.append(r, 0, [waiting('one'), waiting('two')], opts());
    expect(first.duplicate).toBe(false);
    const second = await ctx.eventStore.append(r, first.version, [waiting('three')], opts());
    const loaded = await ctx.eventStore.load(r);
    expect(loaded.version).toBe(second.version);
    expect(loaded.events.map((e) => (e.data as { reason: string }).reason)).toEqual(['one', 'two', 'three']);
    expect(loaded.events.map((e) => e.seq)).toEqual([first.version, first.version, second.version]);
    expect(await ctx.eventStore.version(r)).toBe(second.version);
    expect(await ctx.eventStore.load(ref('s-none'))).toEqual({ events: [], version: 0 });
  });

  it('rejects an append at a stale version with VersionConflictError', async () => {
    const r = ref('s-stale');
    await ctx.eventStore.append(r, 0, [waiting('a')], opts());
    await expect(ctx.eventStore.append(r, 0, [waiting('b')], opts())).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect((await ctx.eventStore.load(r)).events).toHaveLength(1);
  });

  it('stores a retried command id once within the dedupe window', async () => {
    const r = ref('s-dedupe');
    const o = opts('the-same-command');
    const first = await ctx.eventStore.append(r, 0, [waiting('once')], o);
    // The retry carries the version the caller saw before its first try, as a client
    // retrying after a lost ack would.
    const retry = await ctx.eventStore.append(r, 0, [waiting('once')], o);
    expect(retry.duplicate).toBe(true);
    expect(retry.version).toBe(first.version);
    const loaded = await ctx.eventStore.load(r);
    expect(loaded.events).toHaveLength(1);
    const info = await ctx.nats.jsm.streams.info(ctx.topology.events.stream, {
      subjects_filter: ctx.topology.eventSubject('acme', 'session', 's-dedupe'),
    });
    expect(info.state.subjects).toEqual({ [ctx.topology.eventSubject('acme', 'session', 's-dedupe')]: 1 });
  });

  it('rejects a malformed event before it reaches the stream, naming the field', async () => {
    const r = ref('s-bad');
    const bad = {
      type: 'SessionStarted',
      data: { agentId: '', attempt: 0 },
    } as DomainEvent;
    const err = await ctx.eventStore.append(r, 0, [bad], opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const paths = ((err as ValidationError).details!.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['events.0.data.agentId', 'events.0.data.attempt']));
    expect(await ctx.eventStore.version(r)).toBe(0);
  });

  it('rejects an event of another aggregate type', async () => {
    const wrong = { type: 'AccountVerified', data: {} } as DomainEvent;
    await expect(ctx.eventStore.append(ref('s-wrong'), 0, [wrong], opts())).rejects.toThrow(
      /does not belong/,
    );
  });

  it('a second process writing the same aggregate is seen through the load cache', async () => {
    const r = ref('s-two-processes');
    const other = createEventStore(ctx.nats, ctx.topology);
    await ctx.eventStore.append(r, 0, [waiting('mine')], opts());
    const cached = await ctx.eventStore.load(r);
    const theirs = await other.append(r, cached.version, [waiting('theirs')], opts());
    // The cached copy is stale now: the next load must show their commit, and an append
    // at the stale version must conflict.
    await expect(ctx.eventStore.append(r, cached.version, [waiting('late')], opts())).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    const fresh = await ctx.eventStore.load(r);
    expect(fresh.version).toBe(theirs.version);
    expect(fresh.events.map((e) => (e.data as { reason: string }).reason)).toEqual(['mine', 'theirs']);
    const again = await ctx.eventStore.append(r, fresh.version, [waiting('mine again')], opts());
    expect((await other.load(r)).version).toBe(again.version);
    expect((await ctx.eventStore.load(r)).events).toHaveLength(3);
  });

  it('says so when no stream takes the subject, instead of waiting', async () => {
    const nowhere = createEventStore(ctx.nats, createTopology(`${ctx.id}none`));
    const err = await nowhere.append(ref('s-nowhere'), 0, [waiting('lost')], opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfrastructureError);
    expect((err as Error).message).toMatch(/no stream/);
  });

  it('16 concurrent writers, 500 writes each: every version written once, no write lost', async () => {
    const r = ref('s-contended');
    const WRITERS = 16;
    const ROUNDS = 500;
    const conflicts = new Array<number>(WRITERS).fill(0);
    const writer = async (w: number) => {
      let version = 0;
      for (let round = 0; round < ROUNDS; round++) {
        for (;;) {
          try {
            const res = await ctx.eventStore.append(
              r,
              version,
              [waiting(`w${w}:r${round}:v${version}`)],
              opts(),
            );
            version = res.version;
            break;
          } catch (err) {
            // Anything but a conflict fails the test; a conflict means reload and retry.
            if (!(err instanceof VersionConflictError)) throw err;
            conflicts[w]!++;
            version = await ctx.eventStore.version(r);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    const loaded = await ctx.eventStore.load(r);
    expect(loaded.events).toHaveLength(WRITERS * ROUNDS);
    let previous = 0;
    const perWriter = new Map<number, number[]>();
    for (const e of loaded.events) {
      const [, w, round, expected] = /^w(\d+):r(\d+):v(\d+)$/
        .exec((e.data as { reason: string }).reason)!
        .map(Number);
      // Each commit was appended at exactly the version its predecessor created.
      expect(expected).toBe(previous);
      previous = e.seq;
      perWriter.set(w!, [...(perWriter.get(w!) ?? []), round!]);
    }
    for (let w = 0; w < WRITERS; w++) {
      expect(perWriter.get(w)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i));
    }
    expect(conflicts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
