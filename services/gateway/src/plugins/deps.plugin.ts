import type { Config, Database, EventStore, Vault } from '@flywheel/core';
import fp from 'fastify-plugin';
import type { Kysely } from 'kysely';

/** What route plugins use to do their work; built once by `main.ts` (or a test) and passed in. */
export interface GatewayDeps {
  readonly config: Config;
  readonly eventStore: EventStore;
  readonly db: Kysely<Database>;
  readonly vault: Vault;
  /** The clock every command reads; tests may pin it. */
  readonly clock: () => Date;
}

declare module 'fastify' {
  interface FastifyInstance {
    readonly deps: GatewayDeps;
  }
}

/** Makes the gateway's dependencies available to every plugin as `app.deps`. */
export const depsPlugin = fp<GatewayDeps>(
  async (app, deps) => {
    app.decorate('deps', deps);
  },
  { name: 'deps' },
);
