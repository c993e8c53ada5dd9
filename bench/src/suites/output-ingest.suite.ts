import { OutputPublisher } from '@flywheel/agent';
import type { BenchFigure, BenchSuite } from '../types';

/** Sessions streaming at once, as many agents' running sessions would. */
const SESSIONS = 128;
const CHUNKS_PER_SESSION = 60;
/** Raw and publisher alternate in blocks, so load from elsewhere hits both alike. */
const BLOCKS = 8;
/** A chunk of text as a 50 ms window of a model's stream carries, give or take. */
const CHUNK_BYTES = 120;
/** The driver's deltas are small; the publisher batches ten of them per chunk here. */
const DELTA = 'x'.repeat(CHUNK_BYTES / 10);

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

/**
 * Output ingest: the agent's `OutputPublisher` (batching, gap-free seq, a Nats-Msg-Id per
 * chunk, each ack awaited in seq order) storing chunks into OUTPUT from many sessions at
 * once, beside raw `js.publish` of the same chunks with the same discipline (per session
 * one publish in flight, no msg id) on the same stream.
 */
export const suite: BenchSuite = {
  name: 'output-ingest',
  description: `output chunks into OUTPUT, ${SESSIONS} sessions streaming at once, vs raw js.publish`,
  async run({ env, log }) {
    const { js } = env.nats;
    const subject = (tag: string, s: number) => env.topology.outputSubject('bench', `${tag}${s}`);
    const sample = JSON.stringify({
      seq: 1,
      stream: 'stdout',
      text: DELTA.repeat(10),
      at: new Date().toISOString(),
    });

    const raw = (tag: string) => async () => {
      await Promise.all(
        Array.from({ length: SESSIONS }, async (_, s) => {
          for (let i = 0; i < CHUNKS_PER_SESSION; i++) await js.publish(subject(tag, s), sample);
        }),
      );
    };
    const published = (tag: string) => async () => {
      await Promise.all(
        Array.from({ length: SESSIONS }, async (_, s) => {
          const out = new OutputPublisher({
            publish: async (subj, data, msgId) => {
              await js.publish(subj, data, { msgID: msgId });
            },
            subject: subject(tag, s),
            sessionId: `${tag}${s}`,
            attempt: 1,
            firstSeq: 1,
            maxBytes: CHUNK_BYTES,
          });
          for (let i = 0; i < CHUNKS_PER_SESSION * 10; i++) out.write('stdout', DELTA);
          await out.flush();
        }),
      );
    };

    log('warming up');
    await raw('warm-raw-')();
    await published('warm-pub-')();

    let rawSeconds = 0;
    let pubSeconds = 0;
    for (let b = 0; b < BLOCKS; b++) {
      log(`block ${b + 1}/${BLOCKS}`);
      rawSeconds += await timed(raw(`raw-${b}-`));
      pubSeconds += await timed(published(`pub-${b}-`));
    }

    // Every chunk of the last block is stored once, numbered 1..n: the rate counts real chunks.
    const info = await env.nats.jsm.streams.info(env.topology.output.stream, {
      subjects_filter: env.topology.outputSubject('bench', `pub-${BLOCKS - 1}-0`),
    });
    const storedOfOne = Object.values(info.state.subjects ?? {}).reduce((a, n) => a + n, 0);
    if (storedOfOne !== CHUNKS_PER_SESSION) {
      throw new Error(`expected ${CHUNKS_PER_SESSION} chunks stored for one session, found ${storedOfOne}`);
    }

    const chunks = SESSIONS * CHUNKS_PER_SESSION * BLOCKS;
    const figures: BenchFigure[] = [
      {
        name: 'agent output into the OUTPUT stream',
        unit: 'chunks/s',
        value: chunks / pubSeconds,
        baseline: { name: 'raw js.publish', value: chunks / rawSeconds },
        target: { op: '>=', value: 20_000 },
        extra: { chunks, sessions: SESSIONS, chunkBytes: CHUNK_BYTES },
      },
    ];
    return figures;
  },
};
