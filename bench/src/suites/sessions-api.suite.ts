import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildCommit } from '@flywheel/core';
import { signUserToken, tokenKey } from '@flywheel/gateway';
import autocannon from 'autocannon';
import { pool, rate } from '../stats';
import type { BenchFigure, BenchSuite } from '../types';

/** Requests in flight, as a busy dashboard plus a few CI scripts would keep them. */
const CONNECTIONS = 32;
const SECONDS = 10;
const RAW_COUNT = 40_000;
const BODY = JSON.stringify({
  provider: 'anthropic',
  prompt: 'Refactor the billing module and add tests for the proration edge cases.',
  metadata: { repo: 'acme/billing' },
});

/** BENCH_CPU_PROF=<dir> runs the gateway under the V8 profiler, for finding what to optimise. */
const PROFILE = process.env.BENCH_CPU_PROF
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
  : [];

const GATEWAY_MAIN = fileURLToPath(new URL('../../../services/gateway/src/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** Starts the real gateway (`main.ts`) in its own process and waits until it answers. */
async function startGateway(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...PROFILE, '--import', 'tsx', GATEWAY_MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the gateway exited with ${child.exitCode} before answering`);
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the gateway did not answer /health within 30 s');
}

/** CPU seconds (user + system) a process has used so far; Linux only, else NaN. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Run {
  readonly accepted: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly other: number;
  /** Gateway CPU time per accepted command, in microseconds: steady however busy the machine is. */
  readonly cpuMicros: number;
}

async function drive(
  gateway: ChildProcess,
  url: string,
  token: string,
  seconds: number,
  withKeys: boolean,
): Promise<Run> {
  let n = 0;
  const cpuBefore = cpuSeconds(gateway.pid);
  const result = await autocannon({
    url: `${url}/api/v1/sessions`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: BODY,
    ...(withKeys
      ? {
          requests: [
            {
              setupRequest: (req) => ({
                ...req,
                headers: { ...req.headers, 'idempotency-key': `bench-${process.pid}-${++n}` },
              }),
            },
          ],
        }
      : {}),
  });
  return {
    accepted: result['2xx'],
    perSecond: result['2xx'] / (result.duration || seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    other: result.non2xx + result.errors + result.timeouts,
    cpuMicros: ((cpuSeconds(gateway.pid) - cpuBefore) * 1e6) / Math.max(1, result['2xx']),
  };
}

/**
 * `POST /api/v1/sessions` end to end: the real gateway in a child process (auth, zod,
 * decide, append with the expected version, answer 202), driven by autocannon from this
 * process; beside it raw `js.publish` of a commit of the same size with as many in flight.
 */
export const suite: BenchSuite = {
  name: 'sessions-api',
  description: `POST /api/v1/sessions through the gateway (autocannon, ${CONNECTIONS} connections) vs raw js.publish`,
  async run({ env, log }) {
    const port = await freePort();
    log(`starting the gateway on 127.0.0.1:${port}`);
    const gateway = await startGateway(env.env, port);
    try {
      const url = `http://127.0.0.1:${port}`;
      const token = await signUserToken(
        tokenKey(env.env.JWT_SECRET!),
        { user: 'bench', workspace: 'bench', role: 'operator' },
        { ttlSeconds: 3600 },
      );

      log('warming up');
      const warm = await drive(gateway, url, token, 3, false);
      log(`driving for ${SECONDS} s without Idempotency-Key`);
      const plain = await drive(gateway, url, token, SECONDS, false);
      log(
        `  ${Math.round(plain.perSecond)}/s, p99 ${plain.p99} ms, gateway CPU ${Math.round(plain.cpuMicros)} µs/command`,
      );
      log(`driving for ${SECONDS} s with a fresh Idempotency-Key per request`);
      const keyed = await drive(gateway, url, token, SECONDS, true);
      log(
        `  ${Math.round(keyed.perSecond)}/s, p99 ${keyed.p99} ms, gateway CPU ${Math.round(keyed.cpuMicros)} µs/command`,
      );

      log(`raw js.publish: ${RAW_COUNT} commits, ${CONNECTIONS} in flight`);
      const commit = JSON.stringify(
        buildCommit(
          { workspace: 'bench', type: 'session', id: 'ses_00000000000000000000000000' },
          [
            {
              type: 'SessionRequested',
              data: {
                provider: 'anthropic',
                prompt: JSON.parse(BODY).prompt,
                model: null,
                requestedAccountId: null,
                metadata: { repo: 'acme/billing' },
                maxAttempts: 3,
              },
            },
          ],
          {
            commandId: crypto.randomUUID(),
            actor: { kind: 'user', id: 'bench' },
            correlationId: 'c',
            now: new Date(),
          },
        ),
      );
      const raw = await rate(RAW_COUNT, () =>
        pool(RAW_COUNT, CONNECTIONS, (i) =>
          env.nats.js
            .publish(env.topology.eventSubject('bench', 'session', `raw${i}`), commit)
            .then(() => undefined),
        ),
      );

      // Every accepted command is one commit: nothing lost, nothing doubled.
      const stored = (await env.nats.jsm.streams.info(env.topology.events.stream)).state.messages;
      const expected = warm.accepted + plain.accepted + keyed.accepted + RAW_COUNT;
      // Requests still in flight when a run's clock stops are stored but not counted.
      if (stored < expected || stored > expected + 3 * CONNECTIONS) {
        throw new Error(`${stored} commits stored for ${expected} accepted commands`);
      }
      const figures: BenchFigure[] = [
        {
          name: 'POST /api/v1/sessions accepted',
          unit: 'commands/s',
          value: plain.perSecond,
          baseline: { name: 'raw js.publish', value: raw },
          target: { op: '>=', value: 5_000 },
          extra: {
            accepted: plain.accepted,
            refusedOrFailed: plain.other,
            connections: CONNECTIONS,
            seconds: SECONDS,
          },
        },
        {
          name: 'POST /api/v1/sessions p99 latency',
          unit: 'ms',
          value: plain.p99,
          target: { op: '<=', value: 20 },
          extra: { p50: plain.p50 },
        },
        {
          name: 'with Idempotency-Key, accepted',
          unit: 'commands/s',
          value: keyed.perSecond,
          baseline: { name: 'raw js.publish', value: raw },
          extra: {
            accepted: keyed.accepted,
            refusedOrFailed: keyed.other,
            gatewayCpuMicrosPerCommand: Math.round(keyed.cpuMicros),
          },
        },
        {
          name: 'with Idempotency-Key, p99 latency',
          unit: 'ms',
          value: keyed.p99,
          extra: { p50: keyed.p50 },
        },
      ];
      return figures;
    } finally {
      gateway.kill('SIGTERM');
      await once(gateway, 'exit');
    }
  },
};
