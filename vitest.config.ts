import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'drivers/**/*.test.ts',
      'simulators/**/*.test.ts',
      'gateway/**/*.test.ts',
      'test/**/*.test.ts',
      'seeds/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real ptys, servers and subprocesses: two workers match this machine's two cores.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
