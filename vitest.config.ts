import { defineConfig } from 'vitest/config';

/**
 * Tests that run the real services as child processes (and the browser test). They run
 * one file at a time after the rest: several whole stacks at once on two cores starve
 * each other into timeouts.
 */
const STACK = ['services/*/src/**/*.stack.test.ts', 'ui/tests/**/*.e2e.ts'];

export default defineConfig({
  test: {
    globalSetup: ['./vitest.global-setup.ts'],
    pool: 'forks',
    // Integration tests wait on I/O far more than on CPU; a few more workers than cores
    // keeps the two cores busy. Each file has its own database and streams.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          include: ['services/*/src/**/*.test.ts', 'schemas/src/**/*.test.ts', 'ui/src/**/*.test.ts'],
          exclude: STACK,
        },
      },
      { extends: true, test: { name: 'stack', include: STACK } },
    ],
  },
});
