import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'infra/**/*.test.ts',
      'policy/**/*.test.ts',
      'test-support/**/*.test.ts',
      'tools/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: files that start their own PostgreSQL must not all start at once.
    maxWorkers: 2,
  },
});
