import { inject } from 'vitest';
import { createIsolatedContext, type TestContext, type TestContextOptions } from './isolated-context';

declare module 'vitest' {
  export interface ProvidedContext {
    natsUrl: string;
    databaseUrl: string;
  }
}

/** Server URLs chosen by the global setup (env, testcontainers, or the local servers). */
export function serverUrls(): { natsUrl: string; databaseUrl: string } {
  return { natsUrl: inject('natsUrl'), databaseUrl: inject('databaseUrl') };
}

/**
 * Creates a fresh database and a unique stream prefix for one test file. Each file calls
 * it in `beforeAll` and disposes it in `afterAll`, so no test sees another's leftovers.
 */
export function createTestContext(opts: TestContextOptions = {}): Promise<TestContext> {
  return createIsolatedContext(serverUrls(), opts);
}
