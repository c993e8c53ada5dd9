import {
  createTestContext,
  mintToken,
  type ProviderEmulator,
  type ServiceName,
  type ServiceProcess,
  startProviderEmulator,
  startServiceProcess,
  type TestContext,
} from '@flywheel/core/testing';

/** An answer of the HTTP API: status and parsed JSON body. */
export interface ApiAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

/** The public HTTP API as one workspace's admin sees it. */
export interface ApiClient {
  get<T = Record<string, unknown>>(path: string): Promise<ApiAnswer<T>>;
  post<T = Record<string, unknown>>(path: string, body?: unknown): Promise<ApiAnswer<T>>;
}

/**
 * The whole product on one test context: gateway, projector, dispatcher and agents as child
 * processes, exactly as `make up` runs them, plus the provider emulator in process so tests
 * can script its keys.
 */
export interface Stack {
  readonly ctx: TestContext;
  readonly emulator: ProviderEmulator;
  /** The environment every service gets: the context's plus the test's overrides. */
  readonly env: Readonly<Record<string, string>>;
  /** Running services by instance name (`gateway`, `agent-1`, ...). */
  readonly services: Map<string, ServiceProcess>;
  /** Starts one more service process under `instance` (default: its service name). */
  start(name: ServiceName, instance?: string, env?: Record<string, string>): Promise<ServiceProcess>;
  /** A client of the gateway's API authenticated as an admin of `workspace`. */
  api(workspace: string): Promise<ApiClient>;
  /** What the services said at warn level or above (and anything not JSON), for a failed test's report. */
  logs(): string;
  dispose(): Promise<void>;
}

export interface StackOptions {
  /** Environment for every service (short timeouts for tests). */
  readonly env?: Record<string, string>;
  /** Agent processes to start (default 1), named `agent-1`, `agent-2`, ... with AGENT_ID to match. */
  readonly agents?: number;
}

/** Starts the stack in dependency order: the gateway creates the streams, the others follow. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const ctx = await createTestContext();
  const emulator = await startProviderEmulator();
  const env = { ...ctx.env, LOG_LEVEL: 'info', ...opts.env };
  const services = new Map<string, ServiceProcess>();
  const tokens = new Map<string, string>();

  const stack: Stack = {
    ctx,
    emulator,
    env,
    services,
    async start(name, instance = name, extra = {}) {
      const agentEnv: Record<string, string> =
        name === 'agent' ? { AGENT_ID: `${ctx.id}-${instance}`, AGENT_NAME: instance } : {};
      const service = await startServiceProcess(name, { ...env, ...agentEnv, ...extra });
      services.set(instance, service);
      return service;
    },
    async api(workspace) {
      let token = tokens.get(workspace);
      if (token === undefined) {
        token = await mintToken(env, 'admin', workspace);
        tokens.set(workspace, token);
      }
      const base = `http://127.0.0.1:${services.get('gateway')!.port}/api/v1`;
      const call = async <T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: (await res.json()) as T };
      };
      return { get: (path) => call('GET', path), post: (path, body) => call('POST', path, body ?? {}) };
    },
    logs() {
      const notable = (line: string) => !/^\{"level":(10|20|30),/.test(line);
      return [...services]
        .map(([name, s]) => `--- ${name}\n${s.output.join('').split('\n').filter(notable).join('\n')}`)
        .join('\n');
    },
    async dispose() {
      await Promise.all([...services.values()].map((s) => s.stop('SIGKILL')));
      await emulator.close();
      await ctx.dispose();
    },
  };
  try {
    await stack.start('gateway');
    await Promise.all([
      stack.start('projector'),
      stack.start('dispatcher'),
      ...Array.from({ length: opts.agents ?? 1 }, (_, i) => stack.start('agent', `agent-${i + 1}`)),
    ]);
  } catch (err) {
    await stack.dispose();
    throw err;
  }
  return stack;
}

/** Polls `probe` until it returns a value (not undefined, null or false), or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
