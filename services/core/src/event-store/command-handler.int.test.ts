import type { SessionEvent } from '@flywheel/schemas';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InvalidTransitionError, VersionConflictError } from '../errors/errors';
import { createTestContext, type TestContext } from '../testing';
import { type Evolver, handleCommand } from './command-handler';
import type { EventStore } from './event-store';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ migrate: false });
});
afterAll(async () => {
  await ctx?.dispose();
});

/** A counter over SessionWaiting events: enough state to see lost updates. */
const counter: Evolver<number, SessionEvent> = { initialState: () => 0, evolve: (n) => n + 1 };
const bump = (): SessionEvent[] => [{ type: 'SessionWaiting', data: { reason: 'bump', eta: null } }];
let n = 0;
const opts = () => {
  const id = `c${++n}`;
  return { commandId: id, actor: { kind: 'system' as const, id: 't' }, correlationId: id, now: new Date() };
};
const ref = (id: string) => ({ workspace: 'acme', type: 'session' as const, id });

it('retries on conflict so concurrent commands on one aggregate all land', async () => {
  const results = await Promise.all(
    Array.from({ length: 8 }, () =>
      handleCommand(ctx.eventStore, ref('h1'), counter, bump, opts(), { maxAttempts: 20 }),
    ),
  );
  expect(results.map((r) => r.state).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect((await ctx.eventStore.load(ref('h1'))).events).toHaveLength(8);
});

it('gives up after the bounded attempts with the conflict error', async () => {
  // A store whose aggregate always moves on between load and append.
  const racing: EventStore = {
    ...ctx.eventStore,
    load: ctx.eventStore.load,
    version: ctx.eventStore.version,
    append: async (r, expected, events, o) => {
      await ctx.eventStore.append(r, expected, events, {
        ...o,
        commandId: `${o.commandId}-rival-${Math.random()}`,
      });
      return ctx.eventStore.append(r, expected, events, o);
    },
  };
  let decisions = 0;
  const err = await handleCommand(
    racing,
    ref('h2'),
    counter,
    () => {
      decisions++;
      return bump();
    },
    opts(),
    { maxAttempts: 3 },
  ).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(VersionConflictError);
  expect(decisions).toBe(3);
});

it('does not retry a rejected decision and appends nothing', async () => {
  let decisions = 0;
  const reject = () => {
    decisions++;
    throw new InvalidTransitionError('no');
  };
  await expect(handleCommand(ctx.eventStore, ref('h3'), counter, reject, opts())).rejects.toBeInstanceOf(
    InvalidTransitionError,
  );
  expect(decisions).toBe(1);
  expect(await ctx.eventStore.version(ref('h3'))).toBe(0);
});

it('a no-op decision appends nothing and reports the current version', async () => {
  const first = await handleCommand(ctx.eventStore, ref('h4'), counter, bump, opts());
  const noop = await handleCommand(ctx.eventStore, ref('h4'), counter, () => [], opts());
  expect(noop.events).toEqual([]);
  expect(noop.version).toBe(first.version);
});
