// Everything the bench reads from the environment, parsed once (see bench/README.md).
export interface BenchSettings {
  /** A superuser on the server to benchmark; used only to drop and create the bench database. */
  adminUrl: string
  /** The fresh bench database, as the same (owner) user. */
  benchUrl: string
  /** The bench database as the app role (LOGIN, no password: trust auth on 127.0.0.1). */
  appUrl: string
  durationSec: number
  /** Rounds over all variants; each variant's figures are the median round (BENCH_ROUNDS). */
  rounds: number
  warmupSec: number
  connections: number
  /** Variant names to run (BENCH_ONLY, comma-separated); the baseline always runs. Empty = all. */
  only: string[]
}

export const BENCH_DATABASE = 'tenantry_bench'
const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres'
// Long enough for JIT, pools and prepared-statement caches to settle; not recorded.
const WARMUP_SEC = 2

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const adminUrl = env.BENCH_DATABASE_URL || env.DATABASE_URL || DEFAULT_URL
  return {
    adminUrl,
    benchUrl: withDatabase(adminUrl, BENCH_DATABASE),
    appUrl: withUser(withDatabase(adminUrl, BENCH_DATABASE), 'tenantry_app'),
    durationSec: positiveInteger(env, 'BENCH_DURATION', 6),
    rounds: positiveInteger(env, 'BENCH_ROUNDS', 3),
    warmupSec: WARMUP_SEC,
    connections: positiveInteger(env, 'BENCH_CONNECTIONS', 20),
    only: (env.BENCH_ONLY ?? '').split(',').map((name) => name.trim()).filter(Boolean),
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

function withUser(url: string, user: string): string {
  const parsed = new URL(url)
  parsed.username = user
  parsed.password = ''
  return parsed.toString()
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  return value
}
