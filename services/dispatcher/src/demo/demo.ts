/**
 * `make demo`: starts the provider emulator, links three demo accounts behind it (one
 * rate-limited often), and keeps a stream of sessions going against a running stack
 * (`make up`), printing a line for every transition: rotation, cooldown, queueing and
 * failover show within a minute, in the terminal and in the dashboard alike.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type Config,
  ConfigError,
  connectNats,
  createTopology,
  FlywheelError,
  InfrastructureError,
  loadConfig,
  readCommit,
} from '@flywheel/core';
import { type ProviderEmulator, startProviderEmulator } from '@flywheel/core/provider-emulator';
import { AGENTS_WORKSPACE, type DomainEvent } from '@flywheel/schemas';
import { DEMO_ACCOUNTS, DEMO_PACE, demoPrompt } from './demo-plan';
import { describeEvent, type EventLine, type Tone } from './event-lines';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const WORKSPACE = process.env.DEMO_WORKSPACE || 'demo';
const EMULATOR_PORT = Number(process.env.EMULATOR_PORT || 4010);
const COLOURS: Record<Tone, string> = { plain: '', good: '\x1b[32m', notice: '\x1b[33m', bad: '\x1b[31m' };
const colour = (tone: Tone, text: string) =>
  process.stdout.isTTY && COLOURS[tone] ? `${COLOURS[tone]}${text}\x1b[0m` : text;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function printLine(at: string, line: EventLine): void {
  const time = new Date(at).toTimeString().slice(0, 8);
  say(colour(line.tone, `${time}  ${line.who.padEnd(16)} ${line.what.padEnd(11)} ${line.detail}`));
}

async function startEmulator(): Promise<ProviderEmulator> {
  try {
    return await startProviderEmulator({ port: EMULATOR_PORT });
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      throw new InfrastructureError(
        `port ${EMULATOR_PORT} is in use: is another make demo running? Stop it, or set EMULATOR_PORT to a free port.`,
      );
    }
    throw err;
  }
}

/** Waits for the gateway's /health; says once how to start it. */
async function waitForGateway(url: string): Promise<void> {
  let told = false;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    if (!told) {
      say(`The gateway is not answering at ${url}.`);
      say('Run `make up` in another terminal; the demo starts as soon as the gateway answers.');
      told = true;
    }
    await sleep(1000);
  }
}

/** An admin token from `make token`'s CLI: the same secret (JWT_SECRET or the dev secret) as the gateway. */
async function adminToken(): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      'services/gateway/src/cli/token.ts',
      '--role',
      'admin',
      '--ws',
      WORKSPACE,
      '--ttl',
      '12h',
    ],
    { cwd: ROOT, env: process.env },
  );
  return stdout.trim();
}

interface Api {
  call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

function api(base: string, token: string): Api {
  return {
    async call<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
    },
  };
}

const apiError = (body: unknown) =>
  (body as { error?: { message?: string } }).error?.message ?? JSON.stringify(body);

/** Revokes the demo accounts of an earlier run, when the account list is available. */
async function retireEarlierAccounts(client: Api): Promise<void> {
  type Page = { items?: { id: string; label: string; status: string }[]; nextCursor?: string | null };
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const list: { status: number; body: Page } = await client.call<Page>(
      'GET',
      `/accounts?limit=500${query}`,
    );
    if (list.status !== 200 || !list.body.items) return;
    for (const a of list.body.items) {
      if (a.label.startsWith('demo-') && a.status !== 'Revoked')
        await client.call('DELETE', `/accounts/${a.id}`);
    }
    cursor = list.body.nextCursor ?? null;
  } while (cursor !== null);
}

/** Links the demo accounts, recording each one's label under its id in `labels`. */
async function linkAccounts(
  client: Api,
  emulator: ProviderEmulator,
  labels: Map<string, string>,
): Promise<void> {
  for (const a of DEMO_ACCOUNTS) {
    const res = await client.call<{ id: string }>('POST', '/accounts', {
      provider: 'anthropic',
      label: a.label,
      apiKey: a.key,
      baseUrl: emulator.baseUrl('anthropic'),
      maxConcurrent: a.maxConcurrent,
    });
    if (res.status !== 201)
      throw new InfrastructureError(`linking ${a.label} failed (${res.status}): ${apiError(res.body)}`);
    labels.set(res.body.id, a.label);
    say(`  ${a.label.padEnd(12)} ${res.body.id}  ${a.role}, up to ${a.maxConcurrent} at once`);
  }
}

/** Follows the workspace's and the agents' events on NATS and prints a line per transition. */
async function follow(config: Config, labels: Map<string, string>, tally: Tally) {
  const nats = await connectNats(config.natsUrl, 'flywheel-demo');
  const topology = createTopology(config.streamPrefix);
  const names = { account: (id: string) => labels.get(id) ?? id };
  for (const subject of [
    topology.subject('events', WORKSPACE, '>'),
    topology.subject('events', AGENTS_WORKSPACE, '>'),
  ]) {
    nats.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        for (const e of readCommit(0, msg.data)) {
          const event = { type: e.type, data: e.data } as DomainEvent;
          if (event.type === 'AccountLinked') labels.set(e.aggregate.id, event.data.label);
          tally.count(event, e.aggregate.id);
          const line = describeEvent({ ...event, aggregateId: e.aggregate.id, at: e.at }, names);
          if (line) printLine(e.at, line);
        }
      },
    });
  }
  return nats;
}

/** Running totals for the summary line. */
class Tally {
  started = 0;
  completed = 0;
  failed = 0;
  failovers = 0;
  readonly accounts = new Map<string, { status: string; until: string | null }>();

  /** Sessions not finished yet, cancelled when the demo stops. */
  readonly live = new Set<string>();

  count(e: DomainEvent, id: string): void {
    if (e.type === 'SessionRequested') this.live.add(id);
    if (e.type === 'SessionCompleted' || e.type === 'SessionFailed' || e.type === 'SessionCancelled') {
      this.live.delete(id);
    }
    if (e.type === 'SessionCompleted') this.completed++;
    if (e.type === 'SessionFailed') this.failed++;
    if (e.type === 'SessionRequeued') this.failovers++;
    const account = (status: string, until: string | null = null) => this.accounts.set(id, { status, until });
    if (e.type === 'AccountVerified' || e.type === 'AccountCooldownEnded') account('Active');
    if (e.type === 'AccountRateLimited') account('Cooldown', e.data.until);
    if (e.type === 'AccountErrored') account('Error');
    if (e.type === 'AccountRevoked') account('Revoked');
  }

  summary(labels: ReadonlyMap<string, string>): string {
    const current = [...labels].filter(([id]) => this.accounts.get(id)?.status !== 'Revoked');
    const accounts = current.map(([id, label]) => {
      const a = this.accounts.get(id);
      if (!a) return `${label} Verifying`;
      const left = a.until ? Math.max(0, Math.round((Date.parse(a.until) - Date.now()) / 1000)) : 0;
      return a.status === 'Cooldown' && left > 0
        ? `${label} Cooldown (${left} s left)`
        : `${label} ${a.status}`;
    });
    const sessions = `${this.started} started · ${this.completed} completed · ${this.failovers} failovers · ${this.failed} failed`;
    return `── ${sessions} │ ${accounts.join(' · ')}`;
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const emulator = await startEmulator();
  for (const a of DEMO_ACCOUNTS) emulator.script(a.key, a.script);
  say(`Provider emulator on ${emulator.url} (Anthropic API at ${emulator.baseUrl('anthropic')}).`);

  await waitForGateway(config.publicUrl);
  const client = api(config.publicUrl, await adminToken());
  await retireEarlierAccounts(client);
  // Follow first, so the accounts' verification shows too.
  const labels = new Map<string, string>();
  const tally = new Tally();
  const nats = await follow(config, labels, tally);
  say(`Linking demo accounts in workspace "${WORKSPACE}":`);
  await linkAccounts(client, emulator, labels);
  say(
    `Watch the same in the dashboard at ${config.publicUrl} (workspace "${WORKSPACE}"); Ctrl-C stops the demo.\n`,
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    say(`\n${tally.summary(labels)}`);
    say(
      'Stopping: cancelling the sessions still running and revoking the demo accounts (Ctrl-C again to skip).',
    );
    await Promise.allSettled([
      ...[...tally.live].map((id) =>
        client.call('POST', `/sessions/${id}/cancel`, { reason: 'the demo stopped' }),
      ),
      ...[...labels.keys()].map((id) => client.call('DELETE', `/accounts/${id}`)),
    ]);
    await Promise.allSettled([nats.nc.close(), emulator.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const summaries = setInterval(() => say(tally.summary(labels)), 20_000);
  summaries.unref();

  for (let tick = 1; !stopping; tick++) {
    const burst = tick % DEMO_PACE.burstEvery === 0 ? DEMO_PACE.burstSize : 1;
    for (let i = 0; i < burst && !stopping; i++) {
      const prompt = demoPrompt(tally.started + 1);
      const res = await client.call<{ id: string }>('POST', '/sessions', { provider: 'anthropic', prompt });
      if (res.status === 202) tally.started++;
      else say(colour('bad', `starting a session failed (${res.status}): ${apiError(res.body)}`));
    }
    await sleep(DEMO_PACE.intervalMs);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error('demo: configuration is invalid:');
    for (const p of err.problems) console.error(`  ${p}`);
  } else if (err instanceof FlywheelError) {
    console.error(`demo: ${err.message}`);
  } else {
    console.error(`demo failed: ${(err as Error).message}`);
  }
  process.exit(1);
});
