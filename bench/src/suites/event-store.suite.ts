import { buildCommit } from '@flywheel/core';
import type { DomainEvent } from '@flywheel/schemas';
import { pool, rate } from '../stats';
import type { BenchFigure, BenchSuite } from '../types';

const SEQUENTIAL = 5_000;
const PARALLEL = 40_000;
const IN_FLIGHT = 256;

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

/**
 * Event store append rate against raw `js.publish` of a payload of the same size on the
 * same stream, both awaiting every ack: once one at a time, once with many aggregates in
 * flight. The difference is the store's own cost (validation, envelope, headers).
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
    const raw = (i: number, tag: string) =>
      js.publish(env.topology.eventSubject('bench', 'session', `${tag}${i}`), payload).then(() => undefined);
    const append = (i: number, tag: string) =>
      store.append(ref(`${tag}${i}`), 0, [event], opts(`${tag}-cmd-${i}`)).then(() => undefined);

    log('warming up');
    await pool(2_000, 64, (i) => raw(i, 'warm-raw-'));
    await pool(2_000, 64, (i) => append(i, 'warm-es-'));

    log(`sequential: ${SEQUENTIAL} appends, each ack awaited`);
    const rawSeq = await rate(SEQUENTIAL, async () => {
      for (let i = 0; i < SEQUENTIAL; i++) await raw(i, 'seq-raw-');
    });
    const esSeq = await rate(SEQUENTIAL, async () => {
      for (let i = 0; i < SEQUENTIAL; i++) await append(i, 'seq-es-');
    });

    log(`parallel: ${PARALLEL} appends over as many aggregates, ${IN_FLIGHT} in flight`);
    const rawPar = await rate(PARALLEL, () => pool(PARALLEL, IN_FLIGHT, (i) => raw(i, 'par-raw-')));
    const esPar = await rate(PARALLEL, () => pool(PARALLEL, IN_FLIGHT, (i) => append(i, 'par-es-')));

    const figures: BenchFigure[] = [
      {
        name: 'append, awaiting each ack',
        unit: 'commits/s',
        value: esSeq,
        baseline: { name: 'raw js.publish', value: rawSeq },
        target: { op: '>=', value: 0.8, of: 'ratio' },
        extra: { count: SEQUENTIAL },
      },
      {
        name: `append, ${IN_FLIGHT} aggregates in flight`,
        unit: 'commits/s',
        value: esPar,
        baseline: { name: 'raw js.publish', value: rawPar },
        target: { op: '>=', value: 0.8, of: 'ratio' },
        extra: { count: PARALLEL, inFlight: IN_FLIGHT },
      },
    ];
    return figures;
  },
};
