/**
 * Runs the whole stack on one machine for `make up`: one child process per service,
 * their logs interleaved with a name prefix. Ctrl-C (or SIGTERM) stops them all in
 * order; if any service dies, the others are stopped too so nothing runs half-up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const SERVICES = (process.env.FW_SERVICES ?? 'gateway,projector,dispatcher,agent').split(',').filter(Boolean);
const COLORS = [36, 35, 33, 32, 34, 31];
const children = new Map<string, ChildProcess>();
let stopping = false;

function start(name: string, i: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  const tag = `\x1b[${COLORS[i % COLORS.length]}m${name.padEnd(10)}\x1b[0m|`;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${tag} ${line}\n`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`${tag} exited (${signal ?? code}); stopping the stack`);
      process.exitCode = 1;
      stop();
    } else if (children.size === 0) {
      process.exit();
    }
  });
  children.set(name, child);
}

function stop() {
  if (stopping && children.size === 0) process.exit();
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit();
  }, 10_000).unref();
}

process.on('SIGINT', stop);
process.on('SIGTERM', stop);
SERVICES.forEach(start);
