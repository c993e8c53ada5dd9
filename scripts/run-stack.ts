/**
 * Runs the whole stack on one machine for `make up`: one child process per service,
 * their logs interleaved with a name prefix. Ctrl-C (or SIGTERM) stops them one at a
 * time in reverse start order, so agents drain while the gateway can still take their
 * reports; if any service dies, the others are stopped too so nothing runs half-up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const SERVICES = (process.env.FW_SERVICES ?? 'gateway,projector,dispatcher,agent').split(',').filter(Boolean);
const COLORS = [36, 35, 33, 32, 34, 31];
/** How long each service gets to stop before it is killed; an agent drains running sessions. */
const STOP_GRACE_MS: Readonly<Record<string, number>> = { agent: 35_000 };
const DEFAULT_GRACE_MS = 10_000;
const children = new Map<string, ChildProcess>();
let stopping = false;

function tagOf(name: string): string {
  const i = SERVICES.indexOf(name);
  return `\x1b[${COLORS[i % COLORS.length]}m${name.padEnd(10)}\x1b[0m|`;
}

function start(name: string) {
  // Each service in its own process group: a terminal's Ctrl-C reaches only this launcher,
  // which then stops the services in order instead of all at once.
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
    detached: true,
  });
  const tag = tagOf(name);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${tag} ${line}\n`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`${tag} exited (${signal ?? code}); stopping the stack`);
      process.exitCode = 1;
      void stop();
    }
  });
  children.set(name, child);
}

async function stopOne(name: string): Promise<void> {
  const child = children.get(name);
  if (!child) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const grace = STOP_GRACE_MS[name] ?? DEFAULT_GRACE_MS;
  const timer = setTimeout(() => {
    console.error(`${tagOf(name)} did not stop within ${grace / 1000} s; killing it`);
    child.kill('SIGKILL');
  }, grace);
  await exited;
  clearTimeout(timer);
}

async function stop() {
  if (stopping) {
    // A second Ctrl-C: the user does not want to wait.
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(1);
  }
  stopping = true;
  for (const name of [...SERVICES].reverse()) await stopOne(name);
  process.exit();
}

// Whatever ends this launcher, no service outlives it.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGKILL');
});
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
for (const name of SERVICES) start(name);
