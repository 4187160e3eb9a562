import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Tests start real brokers and child processes; two cores, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    // Limits on waiting for events, not sleeps: on the shared 2-core machine under load, tests
    // that start a tsx process took 17–20 s and failed at the old 20 s (issue 10, item 14).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
