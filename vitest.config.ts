import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'services/*/src/**/*.test.ts',
      'schemas/src/**/*.test.ts',
      'ui/src/**/*.test.ts',
      'ui/tests/**/*.e2e.ts',
    ],
    globalSetup: ['./vitest.global-setup.ts'],
    pool: 'forks',
    // Integration tests wait on I/O far more than on CPU; a few more workers than cores
    // keeps the two cores busy. Each file has its own database and streams.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
