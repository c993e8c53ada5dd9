import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  accountEvolver,
  buildCommit,
  createVault,
  decideAccount,
  decideSession,
  handleCommand,
  readCommit,
  sessionEvolver,
} from '@flywheel/core';
import { freePort, type ServiceProcess, startServiceProcess } from '@flywheel/core/testing';
import type { DomainEvent, SessionCommand } from '@flywheel/schemas';
import { percentile, pool } from '../stats';
import type { BenchFigure, BenchSuite } from '../types';

const WS = 'bench';
const ACCOUNTS = 4;
const AGENT_CAPACITY = Number(process.env.BENCH_AGENT_CAPACITY ?? 128);
const WARM_UP = 300;
const SESSIONS = 3_000;
/** Sessions being started at once, as a busy gateway would append them. */
const STARTERS = 32;

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The provider emulator in its own process (its standalone main): in this process it would
 * answer late whenever the session starters keep the event loop busy. Every key answers at once.
 */
async function startEmulatorProcess(): Promise<{ baseUrl: string; stop(): void }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'services/core/src/testing/provider-emulator/main.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, EMULATOR_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (String(d).includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the provider emulator exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const res = await fetch(`${url}/_emulator/default`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ chunks: 2, latencyMs: 0 }),
  });
  if (!res.ok) throw new Error(`scripting the emulator failed: ${res.status} ${await res.text()}`);
  return { baseUrl: `${url}/anthropic`, stop: () => child.kill('SIGTERM') };
}

const opts = () => {
  const commandId = randomUUID();
  return {
    commandId,
    actor: { kind: 'user' as const, id: 'bench' },
    correlationId: commandId,
    now: new Date(),
  };
};

const startCommand = (n: number): SessionCommand => ({
  type: 'StartSession',
  data: {
    provider: 'anthropic',
    prompt: `Benchmark session ${n}: say hello`,
    model: null,
    requestedAccountId: null,
    metadata: {},
    maxAttempts: 3,
  },
});

/**
 * Dispatch end to end: sessions appended as the gateway's POST /sessions does, then the real
 * dispatcher, gateway (agents' requests) and agent processes carry each one to Completed
 * against an emulator that answers at once. The baseline is raw `js.publish` of messages of
 * the same size, as many as the sessions put on the streams, with acks awaited: the ceiling if
 * moving messages were all the work.
 */
export const suite: BenchSuite = {
  name: 'dispatch',
  description: `${SESSIONS} sessions queued, dispatched and completed by the real services vs raw js.publish`,
  async run({ env, log }) {
    const emulator = await startEmulatorProcess();
    const services: ServiceProcess[] = [];
    try {
      const serviceEnv = {
        ...env.env,
        // info: startServiceProcess waits for the "<name> started" line.
        LOG_LEVEL: 'info',
        AGENT_ID: `${env.id}-agent`,
        AGENT_MAX_CONCURRENT: String(AGENT_CAPACITY),
      };
      log('starting the emulator, gateway, dispatcher and agent');
      services.push(await startServiceProcess('gateway', serviceEnv));
      for (const name of ['dispatcher', 'agent'] as const)
        services.push(await startServiceProcess(name, serviceEnv));

      const vault = createVault(env.db, Buffer.from(env.env.GATEWAY_MASTER_KEY!, 'hex'));
      for (let i = 0; i < ACCOUNTS; i++) {
        const id = `acc_bench${i}`;
        await vault.store(WS, id, `bench-key-${i}-0000`);
        const o = opts();
        await handleCommand(
          env.eventStore,
          { workspace: WS, type: 'account', id },
          accountEvolver,
          (s) =>
            decideAccount(
              {
                type: 'LinkAccount',
                data: {
                  provider: 'anthropic',
                  label: `bench ${i}`,
                  authType: 'api_key',
                  fingerprint: `fp${i}`,
                  baseUrl: emulator.baseUrl,
                  maxConcurrent: 1000,
                },
              },
              s,
              o,
            ),
          o,
        );
      }

      // Every session's end, as it is appended: one plain subscription on the workspace's sessions.
      const started = new Map<string, number>();
      const ended = new Map<string, { at: number; type: string }>();
      const assigned = new Map<string, number>();
      const sub = env.nats.nc.subscribe(env.topology.eventSubject(WS, 'session', '*'), {
        callback: (err, msg) => {
          if (err) return;
          for (const e of readCommit(0, msg.data)) {
            if (e.type === 'SessionAssigned') assigned.set(e.aggregate.id, performance.now());
            if (e.type === 'SessionCompleted' || e.type === 'SessionFailed') {
              ended.set(e.aggregate.id, { at: performance.now(), type: e.type });
            }
          }
        },
      });
      const startSession = async (id: string, n: number) => {
        const o = opts();
        started.set(id, performance.now());
        await handleCommand(
          env.eventStore,
          { workspace: WS, type: 'session', id },
          sessionEvolver,
          (s) => decideSession(startCommand(n), s, o),
          o,
        );
      };
      const runBatch = async (tag: string, count: number, timeoutMs: number) => {
        const ids = Array.from({ length: count }, (_, i) => `ses_${tag}${i}`);
        const from = performance.now();
        await pool(count, STARTERS, (i) => startSession(ids[i]!, i));
        const deadline = Date.now() + timeoutMs;
        while (ids.some((id) => !ended.has(id))) {
          if (Date.now() > deadline) {
            const open = ids.filter((id) => !ended.has(id)).length;
            throw new Error(`${open} of ${count} sessions did not finish within ${timeoutMs} ms`);
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        const to = Math.max(...ids.map((id) => ended.get(id)!.at));
        return { ids, seconds: (to - from) / 1000 };
      };

      log(`warming up with ${WARM_UP} sessions (accounts verify, agent registers)`);
      await runBatch('warm', WARM_UP, 120_000);
      log(`measuring ${SESSIONS} sessions`);
      const { ids, seconds } = await runBatch('run', SESSIONS, 300_000);
      sub.unsubscribe();
      const failed = ids.filter((id) => ended.get(id)!.type !== 'SessionCompleted').length;
      const latencies = ids.map((id) => ended.get(id)!.at - started.get(id)!);
      const runs = ids.map((id) => ended.get(id)!.at - (assigned.get(id) ?? Number.NaN));

      // What one session put on the streams: its commits, its work item, its output chunks.
      const eventsInfo = await env.nats.jsm.streams.info(env.topology.events.stream);
      const outputInfo = await env.nats.jsm.streams.info(env.topology.output.stream);
      const sessionsTotal = WARM_UP + SESSIONS;
      const messages =
        eventsInfo.state.messages + outputInfo.state.messages + sessionsTotal; /* one work item each */
      const perSession = messages / sessionsTotal;

      log('raw js.publish of as many messages of the same size');
      const sample: DomainEvent = { type: 'SessionRequested', data: startCommand(0).data } as DomainEvent;
      const payload = JSON.stringify(
        buildCommit({ workspace: WS, type: 'session', id: 'sample' }, [sample], opts()),
      );
      const rawCount = Math.round(SESSIONS * perSession);
      const rawFrom = performance.now();
      await pool(rawCount, STARTERS, (i) =>
        env.nats.js
          .publish(env.topology.eventSubject('raw', 'session', `r${i % 1000}`), payload)
          .then(() => undefined),
      );
      const rawSeconds = (performance.now() - rawFrom) / 1000;

      const figures: BenchFigure[] = [
        {
          name: 'sessions queued → dispatched → completed',
          unit: 'sessions/s',
          value: SESSIONS / seconds,
          baseline: {
            name: `raw js.publish, ${perSession.toFixed(1)} messages per session`,
            value: SESSIONS / rawSeconds,
          },
          target: { op: '>=', value: 200 },
          extra: {
            sessions: SESSIONS,
            failed,
            accounts: ACCOUNTS,
            agentCapacity: AGENT_CAPACITY,
            p50LatencyMs: Math.round(percentile(latencies, 50)),
            p99LatencyMs: Math.round(percentile(latencies, 99)),
            p50AssignedToCompletedMs: Math.round(percentile(runs, 50)),
          },
        },
      ];
      return figures;
    } finally {
      (await import('node:fs')).writeFileSync(
        '/tmp/bench-services.log',
        services.map((s) => s.output.join('')).join('\n'),
      );
      await Promise.all(services.map((s) => s.stop('SIGTERM')));
      emulator.stop();
    }
  },
};
