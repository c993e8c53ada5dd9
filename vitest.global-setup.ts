import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

// The provided keys are typed in services/core/src/testing/harness.ts.
function dockerAvailable(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Chooses the real servers the tests talk to: NATS_URL / DATABASE_URL when given, else
 * containers when a Docker engine answers, else the local servers `make test` starts.
 */
export default async function setup(project: TestProject) {
  const stops: (() => Promise<unknown>)[] = [];
  let natsUrl = process.env.NATS_URL;
  let databaseUrl = process.env.DATABASE_URL;
  if ((!natsUrl || !databaseUrl) && dockerAvailable()) {
    const { GenericContainer, Wait } = await import('testcontainers');
    if (!natsUrl) {
      const nats = await new GenericContainer('nats:2.10-alpine')
        .withCommand(['-js'])
        .withExposedPorts(4222)
        .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
        .start();
      stops.push(() => nats.stop());
      natsUrl = `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`;
    }
    if (!databaseUrl) {
      const pgc = await new GenericContainer('postgres:15-alpine')
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withExposedPorts(5432)
        .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
        .start();
      stops.push(() => pgc.stop());
      databaseUrl = `postgres://postgres@${pgc.getHost()}:${pgc.getMappedPort(5432)}/postgres`;
    }
  }
  project.provide('natsUrl', natsUrl ?? 'nats://127.0.0.1:4222');
  project.provide('databaseUrl', databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  return async () => {
    for (const stop of stops) await stop();
  };
}
