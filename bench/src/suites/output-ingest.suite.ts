import { OutputPublisher } from '@flywheel/agent';
import { sql } from 'kysely';
import { startService, stopService } from '../service-process';
import type { BenchFigure, BenchSuite } from '../types';

/** Sessions streaming at once, as many agents' running sessions would. */
const SESSIONS = 128;
const CHUNKS_PER_SESSION = 60;
/** Raw and publisher alternate in blocks, so load from elsewhere hits both alike. */
const BLOCKS = 8;
/** Rounds of every session's chunks published while the projector runs. */
const LIVE_ROUNDS = 4;
/** A chunk of text as a 50 ms window of a model's stream carries, give or take. */
const CHUNK_BYTES = 120;
/** The driver's deltas are small; the publisher batches ten of them per chunk here. */
const DELTA = 'x'.repeat(CHUNK_BYTES / 10);

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

type Env = Parameters<BenchSuite['run']>[0]['env'];

/** The last OUTPUT sequence the output read model has applied. */
async function outputCheckpoint(env: Env): Promise<number> {
  const row = await env.db
    .selectFrom('projection_checkpoints')
    .select('last_seq')
    .where('name', '=', 'output')
    .executeTakeFirst();
  return row?.last_seq ?? 0;
}

/** Rows in the output read model for sessions whose id starts with `prefix`. */
async function projectedRows(env: Env, prefix: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from session_output
    where session_id like ${`${prefix}%`}`.execute(env.db);
  return rows[0]!.n;
}

/**
 * Output ingest: the agent's `OutputPublisher` (batching, gap-free seq, a Nats-Msg-Id per
 * chunk, each ack awaited in seq order) storing chunks into OUTPUT from many sessions at
 * once, beside raw `js.publish` of the same chunks with the same discipline (per session
 * one publish in flight, no msg id) on the same stream. Then the same load with the
 * projector's `output` projection running, timed until every chunk is a row in the read
 * model.
 */
export const suite: BenchSuite = {
  name: 'output-ingest',
  description: `output chunks into OUTPUT and the read model, ${SESSIONS} sessions at once, vs raw js.publish`,
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

    log('output read model: catching up on what the blocks stored');
    // The projector in its own process, as `make up` runs it; this process only publishes.
    const projector = startService('projector', env.env);
    const lastStored = async () =>
      (await env.nats.jsm.streams.info(env.topology.output.stream)).state.last_seq;
    const untilProjected = async (seq: number) => {
      while ((await outputCheckpoint(env)) < seq) {
        if (projector.exitCode !== null) throw new Error(`the projector exited with ${projector.exitCode}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    let readModelSeconds: number;
    const live = SESSIONS * CHUNKS_PER_SESSION * LIVE_ROUNDS;
    try {
      await untilProjected(await lastStored());
      log(`output read model: ${live} chunks while the projector runs`);
      readModelSeconds = await timed(async () => {
        for (let r = 0; r < LIVE_ROUNDS; r++) await published(`live-${r}-`)();
        await untilProjected(await lastStored());
      });
      const rows = await projectedRows(env, 'live-');
      if (rows !== live) throw new Error(`expected ${live} chunks in the read model, found ${rows}`);
    } finally {
      await stopService(projector);
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
      {
        name: 'agent output into the output read model',
        unit: 'chunks/s',
        value: live / readModelSeconds,
        baseline: { name: 'raw js.publish', value: chunks / rawSeconds },
        target: { op: '>=', value: 20_000 },
        extra: { chunks: live, sessions: SESSIONS },
      },
    ];
    return figures;
  },
};
