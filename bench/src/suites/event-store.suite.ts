import { buildCommit } from '@flywheel/core';
import type { DomainEvent } from '@flywheel/schemas';
import { pool } from '../stats';
import type { BenchFigure, BenchSuite } from '../types';

const SEQUENTIAL = 6_000;
const PARALLEL = 60_000;
const IN_FLIGHT = 256;
/** Raw and store alternate in blocks this many times, so load from elsewhere hits both alike. */
const BLOCKS = 12;

const event: DomainEvent = {
  type: 'SessionRequested',
  data: {
    provider: 'anthropic',
    prompt: 'Refactor the billing module and add tests for the proration edge cases.',
    model: null,
    requestedAccountId: null,
    metadata: { repo: 'acme/billing' },
    maxAttempts: 3,
  },
};

/** Time spent in `fn`, in seconds. */
async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

/**
 * Event store append rate against raw `js.publish` of a payload of the same size on the
 * same stream, both awaiting every ack: once one at a time, once with many aggregates in
 * flight. The difference is the store's own cost (validation, envelope, the dedupe and
 * expected-sequence headers and the server's checks of them).
 */
export const suite: BenchSuite = {
  name: 'event-store',
  description: 'append rate vs raw js.publish (awaiting each ack; many aggregates in parallel)',
  async run({ env, log }) {
    const { js } = env.nats;
    const store = env.eventStore;
    const now = new Date();
    const opts = (id: string) => ({
      commandId: id,
      actor: { kind: 'user' as const, id: 'bench' },
      correlationId: id,
      now,
    });
    const ref = (id: string) => ({ workspace: 'bench', type: 'session' as const, id });
    const payload = JSON.stringify(buildCommit(ref('sample'), [event], opts('sample-command-id-000000')));
    const raw = (tag: string) => (i: number) =>
      js.publish(env.topology.eventSubject('bench', 'session', `${tag}${i}`), payload).then(() => undefined);
    const append = (tag: string) => (i: number) =>
      store.append(ref(`${tag}${i}`), 0, [event], opts(`${tag}cmd-${i}`)).then(() => undefined);
    const sequential = (n: number, op: (i: number) => Promise<void>) => async () => {
      for (let i = 0; i < n; i++) await op(i);
    };

    log('warming up');
    await pool(3_000, 64, raw('warm-raw-'));
    await pool(3_000, 64, append('warm-es-'));

    const t = { rawSeq: 0, esSeq: 0, rawPar: 0, esPar: 0 };
    const seqBlock = SEQUENTIAL / BLOCKS;
    const parBlock = PARALLEL / BLOCKS;
    for (let b = 0; b < BLOCKS; b++) {
      log(`block ${b + 1}/${BLOCKS}`);
      t.rawSeq += await timed(sequential(seqBlock, raw(`seq-raw-${b}-`)));
      t.esSeq += await timed(sequential(seqBlock, append(`seq-es-${b}-`)));
      t.rawPar += await timed(() => pool(parBlock, IN_FLIGHT, raw(`par-raw-${b}-`)));
      t.esPar += await timed(() => pool(parBlock, IN_FLIGHT, append(`par-es-${b}-`)));
    }

    const figures: BenchFigure[] = [
      {
        name: 'append, awaiting each ack',
        unit: 'commits/s',
        value: SEQUENTIAL / t.esSeq,
        baseline: { name: 'raw js.publish', value: SEQUENTIAL / t.rawSeq },
        target: { op: '>=', value: 0.8, of: 'ratio' },
        extra: { count: SEQUENTIAL },
      },
      {
        name: `append, ${IN_FLIGHT} aggregates in flight`,
        unit: 'commits/s',
        value: PARALLEL / t.esPar,
        baseline: { name: 'raw js.publish', value: PARALLEL / t.rawPar },
        target: { op: '>=', value: 0.8, of: 'ratio' },
        extra: { count: PARALLEL, inFlight: IN_FLIGHT },
      },
    ];
    return figures;
  },
};
