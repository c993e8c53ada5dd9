import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The repository root, where `services/<name>/src/main.ts` live. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export const SERVICE_NAMES = ['gateway', 'projector', 'dispatcher', 'agent'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** A service of this repository running as a child process, as `make up` runs it. */
export interface ServiceProcess {
  readonly name: ServiceName;
  readonly child: ChildProcess;
  /** Everything it wrote, for a failing test's report. */
  readonly output: string[];
  /** The port it was given (`PORT`); only the gateway listens on it. */
  readonly port: number;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** SIGTERM (an orderly stop) or SIGKILL (a crash), then waits for the exit. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `services/<name>/src/main.ts` with `env` (a test context's `env` plus overrides) and
 * resolves once it logged "<name> started"; rejects with its output if it exits or takes
 * longer than `timeoutMs`.
 */
export async function startServiceProcess(
  name: ServiceName,
  env: Readonly<Record<string, string>>,
  timeoutMs = 30_000,
): Promise<ServiceProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(String(d)));
  child.stderr?.on('data', (d: Buffer) => output.push(String(d)));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const service: ServiceProcess = {
    name,
    child,
    output,
    port,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  const started = `"${name} started"`;
  while (!output.join('').includes(started)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await service.stop('SIGKILL');
      throw new Error(`${name} did not start:\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return service;
}

/** A user token from `make token` (the gateway's CLI), signed with the JWT_SECRET in `env`. */
export async function mintToken(
  env: Readonly<Record<string, string>>,
  role: 'admin' | 'operator' | 'viewer',
  workspace: string,
): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'services/gateway/src/cli/token.ts', '--role', role, '--ws', workspace],
    { cwd: ROOT, env: { ...process.env, ...env } },
  );
  return stdout.trim();
}
