import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PROJECTION_NAMES, PROJECTIONS, projectionConsumerName } from '@flywheel/core';
import type { TestContext } from '@flywheel/core/testing';

const MAIN = fileURLToPath(new URL('../../../projector/src/main.ts', import.meta.url));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Runs the real projector as its own process (as in production) against the test's
 * database and streams, so query routes read real read models. Resolves once every
 * projection's consumer exists; the returned function stops it.
 */
export async function startProjectorProcess(ctx: TestContext): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, ...ctx.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const stop = async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited(child);
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  for (const name of PROJECTION_NAMES) {
    const stream =
      PROJECTIONS[name].source === 'events' ? ctx.topology.events.stream : ctx.topology.output.stream;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the projector exited with ${child.exitCode}: ${stderr}`);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`the projector did not start within 30 s: ${stderr}`);
      }
      const ok = await ctx.nats.jsm.consumers.info(stream, projectionConsumerName(name)).then(
        () => true,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return stop;
}
