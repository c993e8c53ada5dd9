import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildCommit, createPgPool } from '@flywheel/core';
import { signUserToken, tokenKey } from '@flywheel/gateway';
import { generateWorkload, readAndDecode } from '@flywheel/projector/testing';
import autocannon from 'autocannon';
import { from as copyFrom } from 'pg-copy-streams';
import { pacedLoad } from '../paced-load';
import { answering, freePort, ROOT, startService, stopService } from '../service-process';
import { percentile, pool } from '../stats';
import type { BenchFigure, BenchSuite } from '../types';

const EVENTS = Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000);
const LIST_SECONDS = 10;
const LIST_CONNECTIONS = 16;
/** Distinct pages walked for the uncached figure: more than the gateway's page cache holds. */
const DEEP_PAGES = 600;
/** Commands per second for the freshness run, and for how long. */
const FRESH_RATE = 1000;
const FRESH_SECONDS = 10;
const FRESH_WARMUP_SECONDS = 3;
/** Commands per second read back to measure freshness; the rest are load. */
const SAMPLES_PER_SECOND = 50;

/** Publishes the generated log with raw js.publish; the generator already orders each aggregate. */
async function publishLog(env: Parameters<BenchSuite['run']>[0]['env']) {
  const now = new Date('2026-01-01T00:00:00Z');
  const payloads: { subject: string; data: string }[] = [];
  let events = 0;
  for (const c of generateWorkload(EVENTS, { workspaces: 2, inFlight: 400, seed: 11 })) {
    const id = randomUUID();
    const commit = buildCommit(c.ref, c.events, {
      commandId: id,
      correlationId: id,
      actor: { kind: 'system', id: 'bench' },
      now,
    });
    payloads.push({
      subject: env.topology.eventSubject(c.ref.workspace, c.ref.type, c.ref.id),
      data: JSON.stringify(commit),
    });
    events += c.events.length;
  }
  await pool(payloads.length, 512, (i) =>
    env.nats.js.publish(payloads[i]!.subject, payloads[i]!.data).then(() => undefined),
  );
  return { payloads, events };
}

/** The raw ceiling: the same messages COPYed as JSON into a bare table. */
async function rawCopySeconds(databaseUrl: string, payloads: readonly { subject: string; data: string }[]) {
  const pg = createPgPool(databaseUrl, { max: 1 });
  const client = await pg.connect();
  try {
    await client.query('create table bench_raw_copy (seq bigint, subject text, data jsonb)');
    const started = performance.now();
    const pieces = function* () {
      let piece = '';
      for (const [i, p] of payloads.entries()) {
        piece += `${i + 1}\t${p.subject}\t${p.data.replace(/\\/g, '\\\\')}\n`;
        if (piece.length > 1 << 20) {
          yield piece;
          piece = '';
        }
      }
      yield piece;
    };
    await pipeline(Readable.from(pieces()), client.query(copyFrom('COPY bench_raw_copy FROM STDIN')));
    const seconds = (performance.now() - started) / 1000;
    await client.query('drop table bench_raw_copy');
    return seconds;
  } finally {
    client.release();
    await pg.end();
  }
}

/** `make replay`, as an operator runs it; wall time of the whole command. */
async function makeReplay(env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const child = spawn('make', ['--no-print-directory', 'replay'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`make replay exited with ${code}`);
  return (performance.now() - started) / 1000;
}

/**
 * Read models at scale. `make replay` of a generated log of EVENTS events (sessions through
 * their whole lifecycle, accounts cooling down, agents) beside a raw COPY of the same
 * messages in the same run; then, with the stack up on those models, the session list's
 * throughput and latency, and freshness: command accepted to visible through the query API.
 */
export const suite: BenchSuite = {
  name: 'replay',
  description: `make replay of ${EVENTS.toLocaleString('en-US')} events vs raw COPY; GET /api/v1/sessions; freshness`,
  async run({ env, log }) {
    log(`publishing ${EVENTS.toLocaleString('en-US')} generated events`);
    const { payloads, events } = await publishLog(env);
    log('raw COPY of the same messages into a bare table');
    const raw = await rawCopySeconds(env.databaseUrl, payloads);
    const commits = payloads.length;
    payloads.length = 0;
    log('reading and decoding the log, nothing written (the ceiling of one thread)');
    const decoded = await readAndDecode(env.nats, env.topology.events.stream);
    if (decoded.events !== events) throw new Error(`decoded ${decoded.events} of ${events} events`);
    log('make replay');
    const replaySeconds = await makeReplay(env.env);
    const { count, ws } = await env.db
      .selectFrom('sessions')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.max('workspace').as('ws')])
      .executeTakeFirstOrThrow();
    const inWorkspace = await env.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace', '=', ws)
      .executeTakeFirstOrThrow();
    log(
      `  ${Number(count).toLocaleString('en-US')} sessions in the read model (${Number(inWorkspace.n).toLocaleString('en-US')} in ${ws})`,
    );

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const projector = startService('projector', env.env);
    const gateway = startService('gateway', { ...env.env, PORT: String(port), HOST: '127.0.0.1' });
    try {
      await answering(gateway, `${url}/health`);
      await answering(gateway, `${url}/ready`);
      const key = tokenKey(env.env.JWT_SECRET!);
      const viewer = await signUserToken(
        key,
        { user: 'bench', workspace: ws, role: 'viewer' },
        { ttlSeconds: 3600 },
      );
      const operator = await signUserToken(
        key,
        { user: 'bench', workspace: ws, role: 'operator' },
        { ttlSeconds: 3600 },
      );

      const list = (seconds: number) =>
        autocannon({
          url: `${url}/api/v1/sessions?limit=50`,
          connections: LIST_CONNECTIONS,
          duration: seconds,
          headers: { authorization: `Bearer ${viewer}` },
        });
      log('GET /api/v1/sessions?limit=50: warming up');
      await list(3);
      log(`GET /api/v1/sessions?limit=50: ${LIST_SECONDS} s, ${LIST_CONNECTIONS} connections`);
      const listed = await list(LIST_SECONDS);
      if (listed.non2xx + listed.errors > 0)
        throw new Error(`${listed.non2xx + listed.errors} list requests failed`);

      // Deep pages, each asked in turn: more pages than the gateway remembers, so every one is queried.
      const paths: string[] = [];
      let cursor: string | null = null;
      while (paths.length < DEEP_PAGES) {
        const path: string = `/api/v1/sessions?limit=50${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
        const res = await fetch(url + path, { headers: { authorization: `Bearer ${viewer}` } });
        const page = (await res.json()) as { nextCursor: string | null };
        paths.push(path);
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      log(`GET /api/v1/sessions?limit=50&cursor=…: ${LIST_SECONDS} s over ${paths.length} pages in turn`);
      let turn = 0;
      const deep = await autocannon({
        url,
        connections: LIST_CONNECTIONS,
        duration: LIST_SECONDS,
        headers: { authorization: `Bearer ${viewer}` },
        requests: [
          {
            setupRequest: (req) => ({ ...req, path: paths[turn++ % paths.length]! }),
          },
        ],
      });
      if (deep.non2xx + deep.errors > 0) throw new Error(`${deep.non2xx + deep.errors} page requests failed`);

      const body = JSON.stringify({ provider: 'anthropic', prompt: 'how fresh is the read model?' });
      const post = {
        method: 'POST' as const,
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body,
      };
      const commands = (rate: number, seconds: number) =>
        pacedLoad({ url: `${url}/api/v1/sessions`, ...post, connections: 16, rate, seconds });
      log(`freshness: warming up, ${FRESH_RATE} commands/s for ${FRESH_WARMUP_SECONDS} s`);
      const warm = await commands(FRESH_RATE, FRESH_WARMUP_SECONDS);
      if (warm.failed > 0) throw new Error(`${warm.failed} commands failed while warming up`);
      log(
        `freshness: ${FRESH_RATE} commands/s, evenly paced, for ${FRESH_SECONDS} s; ${SAMPLES_PER_SECOND}/s of them read back`,
      );
      // The load: commands at a steady rate; the probes below make up the rest of it.
      const load = commands(FRESH_RATE - SAMPLES_PER_SECOND, FRESH_SECONDS);
      // The probes: a command, then a read of it asked to be consistent with its commit.
      const fresh: number[] = [];
      let probing = true;
      const probes = (async () => {
        while (probing) {
          const res = await fetch(`${url}/api/v1/sessions`, post);
          if (res.status !== 202) throw new Error(`POST answered ${res.status}`);
          const { id, streamSeq } = (await res.json()) as { id: string; streamSeq: number };
          const at = performance.now();
          const read = await fetch(`${url}/api/v1/sessions/${id}?consistentWith=${streamSeq}`, {
            headers: { authorization: `Bearer ${viewer}` },
          });
          if (read.status !== 200 || read.headers.get('x-consistency') !== 'consistent') {
            throw new Error(
              `the read after the command answered ${read.status} ${read.headers.get('x-consistency')}`,
            );
          }
          await read.arrayBuffer();
          fresh.push(performance.now() - at);
          await new Promise((r) => setTimeout(r, 1000 / SAMPLES_PER_SECOND));
        }
      })();
      const loaded = await load;
      probing = false;
      await probes;
      if (loaded.failed > 0) throw new Error(`${loaded.failed} commands failed`);
      const achieved = loaded.achieved + fresh.length / FRESH_SECONDS;

      const figures: BenchFigure[] = [
        {
          name: 'make replay, all projections',
          unit: 'events/s',
          value: events / replaySeconds,
          baseline: { name: 'raw COPY of the messages', value: events / raw },
          target: { op: '>=', value: 100_000 },
          extra: { events, commits, seconds: Number(replaySeconds.toFixed(2)), sessions: Number(count) },
        },
        {
          name: 'read + decode the log only, one thread, no writes',
          unit: 'events/s',
          value: events / decoded.seconds,
          baseline: { name: 'raw COPY of the messages', value: events / raw },
          extra: { seconds: Number(decoded.seconds.toFixed(2)) },
        },
        {
          name: `GET /api/v1/sessions?limit=50 (${Number(inWorkspace.n).toLocaleString('en-US')} in the workspace)`,
          unit: 'req/s',
          value: listed.requests.average,
          target: { op: '>=', value: 5_000 },
          extra: { p50: listed.latency.p50, p99: listed.latency.p99, connections: LIST_CONNECTIONS },
        },
        {
          name: 'GET /api/v1/sessions?limit=50 p99',
          unit: 'ms',
          value: listed.latency.p99,
          target: { op: '<=', value: 15 },
        },
        {
          name: `GET /api/v1/sessions?limit=50&cursor=… (${paths.length} pages in turn, none cached)`,
          unit: 'req/s',
          value: deep.requests.average,
          extra: { p50: deep.latency.p50, p99: deep.latency.p99, connections: LIST_CONNECTIONS },
        },
        {
          name: `freshness p50 at ${Math.round(achieved)} commands/s`,
          unit: 'ms',
          value: percentile(fresh, 50),
          extra: { commands: loaded.ok + fresh.length, sampled: fresh.length },
        },
        {
          name: `freshness p99 at ${Math.round(achieved)} commands/s`,
          unit: 'ms',
          value: percentile(fresh, 99),
          target: { op: '<=', value: 25 },
        },
      ];
      return figures;
    } finally {
      await stopService(gateway);
      await stopService(projector);
    }
  },
};
