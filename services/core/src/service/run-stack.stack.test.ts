import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, freePort, type TestContext } from '../testing';

/** The repository root, where `make up` runs `scripts/run-stack.ts`. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SERVICES = ['gateway', 'projector', 'dispatcher', 'agent'];

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  await ctx?.dispose();
});

interface Stack {
  readonly launcher: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** `make up`'s last step, as it runs it, against this test's database and streams. */
async function runStack(): Promise<Stack> {
  const port = await freePort();
  const launcher = spawn(process.execPath, ['--import', 'tsx', 'scripts/run-stack.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...ctx.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  launcher.stdout?.on('data', (d: Buffer) => (output += d));
  launcher.stderr?.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((r) => launcher.once('exit', (code) => r(code)));
  return { launcher, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** The services the launcher runs: pid by name, from its children's command lines. */
function servicesOf(launcher: ChildProcess): Map<string, number> {
  const lines = execFileSync('ps', ['--ppid', String(launcher.pid), '-o', 'pid=,args='], {
    encoding: 'utf8',
  });
  const found = new Map<string, number>();
  for (const line of lines.split('\n')) {
    const m = /^\s*(\d+)\s.*services\/(\w+)\/src\/main\.ts/.exec(line);
    if (m) found.set(m[2]!, Number(m[1]));
  }
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function ready(stack: Stack): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await fetch(`${stack.url}/ready`).catch(() => null);
    if (res?.status === 200) return;
    if (stack.launcher.exitCode !== null) throw new Error(`the stack exited:\n${stack.output()}`);
    if (Date.now() > deadline) throw new Error(`the stack was not ready:\n${stack.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the stack make up runs', () => {
  it('runs the gateway, projector, dispatcher and agent; ready; stops them all on SIGTERM', {
    timeout: 150_000,
  }, async () => {
    const stack = await runStack();
    try {
      await ready(stack);
      const services = servicesOf(stack.launcher);
      expect([...services.keys()].sort()).toEqual([...SERVICES].sort());
      // Ready means every projection's consumer exists and keeps up: the projector is running.
      const consumers: string[] = [];
      for await (const c of ctx.nats.jsm.consumers.list(ctx.topology.events.stream)) consumers.push(c.name);
      expect(consumers).toEqual(expect.arrayContaining(['projection-sessions', 'projection-event-index']));
      stack.launcher.kill('SIGTERM');
      expect(await stack.exited).toBe(0);
      for (const [name, pid] of services) expect(alive(pid), name).toBe(false);
    } finally {
      stack.launcher.kill('SIGKILL');
    }
  });

  it('stops every other service when one dies, and says which', { timeout: 150_000 }, async () => {
    const stack = await runStack();
    try {
      await ready(stack);
      const services = servicesOf(stack.launcher);
      process.kill(services.get('projector')!, 'SIGKILL');
      expect(await stack.exited).toBe(1);
      expect(stripVTControlCharacters(stack.output())).toMatch(
        /projector\s*\| exited \(SIGKILL\); stopping the stack/,
      );
      for (const [name, pid] of services) expect(alive(pid), name).toBe(false);
    } finally {
      stack.launcher.kill('SIGKILL');
    }
  });
});
