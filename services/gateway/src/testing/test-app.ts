import { Writable } from 'node:stream';
import { createLogger, createVault, loadConfig } from '@flywheel/core';
import type { TestContext } from '@flywheel/core/testing';
import type { Role } from '@flywheel/schemas';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app';
import { signUserToken, tokenKey } from '../auth/user-token';
import { startProjectorProcess } from './projector-process';

/** A gateway built on a test context, with every log line it writes kept in `logs`. */
export interface TestApp {
  readonly app: FastifyInstance;
  readonly logs: string[];
  readonly jwtSecret: string;
  /** A valid token for `role` in `workspace`. */
  token(role: Role, workspace: string, user?: string): Promise<string>;
}

/**
 * Builds the real gateway app against the test's NATS streams and database, with a real
 * projector process keeping the read models the query routes answer from (stopped on close).
 */
export async function createTestApp(
  ctx: TestContext,
  opts: { readonly logLevel?: string } = {},
): Promise<TestApp> {
  const config = loadConfig(ctx.env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const app = await buildApp({
    logger: createLogger('gateway', opts.logLevel ?? 'info', sink),
    config,
    db: ctx.db,
    eventStore: ctx.eventStore,
    vault: createVault(ctx.db, config.masterKey),
    nats: ctx.nats,
    topology: ctx.topology,
  });
  const stopProjector = await startProjectorProcess(ctx);
  app.addHook('onClose', stopProjector);
  await app.ready();
  const key = tokenKey(config.jwtSecret);
  return {
    app,
    logs,
    jwtSecret: config.jwtSecret,
    token: (role, workspace, user = `${role}@${workspace}`) =>
      signUserToken(key, { user, workspace, role }, { ttlSeconds: 3600 }),
  };
}
