import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Vitest's default is one worker fewer than the cores: a single worker on a 2-core machine,
    // which leaves a core idle while a file waits on a spawned CLI or its own JavaScript.
    maxWorkers: '100%',
    // DuckDB and the local state machine do real work; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
