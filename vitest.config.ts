import { defineConfig } from 'vitest/config';

/**
 * Test tiers, each a project: `npx vitest run --project unit` runs one.
 * unit: pure code · handler: middy handlers with typed events and mocked AWS clients ·
 * integration: real DynamoDB Local · infra: assertions on the synthesized templates ·
 * e2e: HTTP against the local server that `npm start` runs · scenarios: each example policy's promises,
 * end to end, against the local server started with that policy's config · browser: the pages in Chromium.
 */
export default defineConfig({
  test: {
    // Logs are shown for failing tests only.
    silent: 'passed-only',
    // Property tests and tests that start processes take seconds on a busy 2-core machine; a hang still fails.
    testTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['functions/**', 'shared/**', 'infra/**', 'local/**'],
      reporter: ['text-summary', 'html', 'json-summary'],
    },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'handler', include: ['test/handler/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          // One server and table for every file, and some files compare whole-table state (suppressions).
          fileParallelism: false,
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          // One file per example policy: each starts the local system with that policy's config.
          name: 'scenarios',
          include: ['test/scenarios/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
