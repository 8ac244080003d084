import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Migrates once per run: a PGlite snapshot, or a PostgreSQL template database (see the file).
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Vitest's default (one core fewer than the machine) is a single worker on two cores, but
    // most test time is spent waiting on PostgreSQL, Redis and child processes: two workers on
    // the 2-core VM took the PostgreSQL run from 275 s to 169 s and PGlite to 205 s. Each test
    // file has its own database, so files do not share data.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { NODE_ENV: 'test' },
  },
})
