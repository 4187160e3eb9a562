import { defineConfig } from 'vitest/config';

/**
 * End-to-end test files that run on PostgreSQL instead of the files (issue 11
 * §4: the whole suite against both stores without doubling its time). The
 * store-facing tests (registry-store, journal-store, pg-*) run on both
 * themselves; these e2e files each run once, on the database, through
 * tests/helpers/test-hub.ts (HUB_TEST_STORE=postgres); the rest on the files.
 * A file here must not read the data dir's registry files itself.
 */
const ON_POSTGRES = [
  'tests/alert-lifecycle.test.ts',
  'tests/authorization-sweep.test.ts',
  'tests/commands.test.ts',
  'tests/console-api.test.ts',
  'tests/couples.test.ts',
  'tests/critical-rules-e2e.test.ts',
  'tests/escalation.test.ts',
  'tests/family.test.ts',
  'tests/household.test.ts',
  'tests/installer.test.ts',
  'tests/reports.test.ts',
  'tests/residents.test.ts',
  'tests/route-role-matrix.test.ts',
  'tests/rule-settings.test.ts',
  'tests/scenarios.test.ts',
  'tests/session-revocation.test.ts',
  'tests/sos-end-to-end.test.ts',
  'tests/visits.test.ts',
  'tests/watchdog.test.ts',
  'tests/browser/console-walk.test.ts',
  'tests/browser/people-walk.test.ts',
];

export default defineConfig({
  test: {
    // Tests start real brokers and child processes; two cores, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    // Limits on waiting for events, not sleeps: on the shared 2-core machine under load, tests
    // that start a tsx process took 17–20 s and failed at the old 20 s (issue 10, item 14).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The hubs tests start as child processes run one bundle built for this run, not tsx (tests/helpers/hub-bundle.ts).
    globalSetup: ['tests/helpers/hub-bundle-setup.ts'],
    projects: [
      { extends: true, test: { name: 'files', include: ['tests/**/*.test.ts'], exclude: ON_POSTGRES } },
      { extends: true, test: { name: 'postgres', include: ON_POSTGRES, env: { HUB_TEST_STORE: 'postgres' } } },
    ],
  },
});
