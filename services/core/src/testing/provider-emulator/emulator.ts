import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicRoutes } from './anthropic.routes';
import { handleControl } from './control.routes';
import { sendJson } from './http-io';
import { type EmulatedProvider, type EmulatorCall, KeyRegistry } from './key-registry';
import type { KeyScript, KeyScriptInput } from './key-script';
import type { ProviderRoutes } from './provider-routes';

export interface ProviderEmulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly now?: () => number;
  /** Oldest calls are forgotten beyond this many. */
  readonly maxRecordedCalls?: number;
}

/** A running emulator. Each provider is mounted under `/<provider>`; point an account's baseUrl there. */
export interface ProviderEmulator {
  /** The server's root, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The base URL for one provider's accounts, e.g. `http://127.0.0.1:41234/anthropic`. */
  baseUrl(provider: EmulatedProvider): string;
  /** Scripts every request made with `key` (resets its counters); throws ValidationError. */
  script(key: string, script: KeyScriptInput): KeyScript;
  /** Scripts keys that have no script of their own. */
  scriptDefault(script: KeyScriptInput): KeyScript;
  /** Forgets every script, counter and recorded call. */
  reset(): void;
  /** Every answered request, oldest first (live view). */
  readonly calls: readonly EmulatorCall[];
  /** Stops listening and drops open connections, including never-ending streams. */
  close(): Promise<void>;
}

// Providers are routed by path prefix because their paths collide (`/v1/models` exists at
// Anthropic and OpenAI); Stage 4b adds openai and google entries here.
const ROUTES: readonly ProviderRoutes[] = [anthropicRoutes];

/** Starts a provider emulator on a local port: the real wire protocols, scripted per key. */
export async function startProviderEmulator(
  options: ProviderEmulatorOptions = {},
): Promise<ProviderEmulator> {
  const now = options.now ?? Date.now;
  const registry = new KeyRegistry(now, options.maxRecordedCalls ?? 10_000);
  const closing = new AbortController();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    if (path.startsWith('/_emulator/')) return handleControl(req, res, path, url.searchParams, registry);
    const routes = ROUTES.find((r) => path === `/${r.provider}` || path.startsWith(`/${r.provider}/`));
    if (!routes) {
      req.resume();
      return sendJson(res, 404, {
        error: {
          code: 'not_found',
          message: `unknown path ${path}; providers are mounted under ${ROUTES.map((r) => `/${r.provider}`).join(', ')}`,
        },
      });
    }
    const closed = new AbortController();
    const abort = () => closed.abort();
    res.once('close', abort);
    closing.signal.addEventListener('abort', abort, { once: true });
    res.once('close', () => closing.signal.removeEventListener('abort', abort));
    await routes.handle(req, res, path.slice(routes.provider.length + 1), {
      registry,
      now,
      closed: closed.signal,
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A bug in the emulator must be loud in the test that hit it, not a hung request.
      if (!res.headersSent) {
        sendJson(res, 500, { error: { code: 'emulator_bug', message: (err as Error).message } });
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  return {
    url,
    baseUrl: (provider) => `${url}/${provider}`,
    script: (key, script) => registry.script(key, script),
    scriptDefault: (script) => registry.scriptDefault(script),
    reset: () => registry.reset(),
    calls: registry.calls,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
