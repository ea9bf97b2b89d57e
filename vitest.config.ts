import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['specs/**/*.test.ts', 'reference-impl/**/*.test.ts', 'harness/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'reports/**'],
    testTimeout: 60_000,
    reporters: ['default', './harness/report/plain-summary-reporter.ts'],
  },
});
