import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatedProvider, KeyRegistry } from './key-registry';

/** Everything one request's handler needs besides the request and response. */
export interface RouteContext {
  readonly registry: KeyRegistry;
  readonly now: () => number;
  /** Aborts when the client goes away or the emulator closes; streams stop writing. */
  readonly closed: AbortSignal;
}

/** One provider's wire protocol, mounted by the emulator under `/<provider>`. */
export interface ProviderRoutes {
  readonly provider: EmulatedProvider;
  /** Answers a request whose path below the mount point is `path` (query string removed). */
  handle(req: IncomingMessage, res: ServerResponse, path: string, ctx: RouteContext): Promise<void>;
}
