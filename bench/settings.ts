// Everything the bench reads from the environment, parsed once (see bench/README.md).
export interface BenchSettings {
  /** A superuser on the server to benchmark; used only to drop and create the bench databases. */
  adminUrl: string
  /** The small bench database (10 tenants), as the same (owner) user. */
  benchUrl: string
  /** The small bench database as the app role (LOGIN, no password: trust auth on 127.0.0.1). */
  appUrl: string
  durationSec: number
  /** Rounds over all variants; each figure is the median of its rounds (BENCH_ROUNDS). */
  rounds: number
  warmupSec: number
  /** Back-to-back pairs of the bare and the API read for figure 1's ratio (BENCH_PAIRS; 0: none). */
  pairs: number
  /** Measured seconds of each load of a pair (BENCH_PAIR_DURATION). */
  pairDurationSec: number
  connections: number
  /** Parts or variant names to run (BENCH_ONLY, comma-separated); empty = all. See variants.ts. */
  only: string[]
  /** Tenants in the large database of the tenant-count figure (BENCH_TENANTS). */
  largeTenants: number
  /** Items of each filler tenant (BENCH_TENANT_ITEMS). */
  fillerItems: number
  /** Rebuild the large database even when the cached one matches (BENCH_RESEED=1). */
  reseed: boolean
  /** Write a CPU profile of each server named here (BENCH_PROFILE, comma-separated variant names). */
  profile: string[]
  /** Extra node options for every server (BENCH_NODE_ARGS, space-separated), e.g. --perf-prof for `perf`. */
  nodeArgs: string[]
}

export const BENCH_DATABASE = 'tenantry_bench'
/** The tenant-count figure's database: kept between runs while its fingerprint matches. */
export const LARGE_DATABASE = 'tenantry_bench_large'
/** Provisioning adds thousands of tenants per run: its own database, so the others keep their counts. */
export const PROVISION_DATABASE = 'tenantry_bench_provision'
/** Tenants in the small database (the 10 of the tenant-count comparison). */
export const SMALL_TENANTS = 10

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres'
// Long enough for JIT, pools and prepared-statement caches to settle; not recorded.
const WARMUP_SEC = 2

export function readSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const adminUrl = env.BENCH_DATABASE_URL || env.DATABASE_URL || DEFAULT_URL
  return {
    adminUrl,
    benchUrl: withDatabase(adminUrl, BENCH_DATABASE),
    appUrl: appUrlOf(withDatabase(adminUrl, BENCH_DATABASE)),
    durationSec: positiveInteger(env, 'BENCH_DURATION', 6),
    rounds: positiveInteger(env, 'BENCH_ROUNDS', 3),
    warmupSec: positiveInteger(env, 'BENCH_WARMUP', WARMUP_SEC),
    pairs: nonNegativeInteger(env, 'BENCH_PAIRS', 8),
    pairDurationSec: positiveInteger(env, 'BENCH_PAIR_DURATION', 4),
    connections: positiveInteger(env, 'BENCH_CONNECTIONS', 20),
    only: list(env.BENCH_ONLY),
    largeTenants: positiveInteger(env, 'BENCH_TENANTS', 100_000),
    fillerItems: positiveInteger(env, 'BENCH_TENANT_ITEMS', 20),
    reseed: env.BENCH_RESEED === '1' || env.BENCH_RESEED === 'true',
    profile: list(env.BENCH_PROFILE),
    nodeArgs: (env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  }
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

/** The same database as the app role (LOGIN, no password: trust auth on 127.0.0.1 is assumed). */
export function appUrlOf(url: string): string {
  const parsed = new URL(url)
  parsed.username = 'tenantry_app'
  parsed.password = ''
  return parsed.toString()
}

export function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((name) => name.trim()).filter(Boolean)
}

export function nonNegativeInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`)
  return value
}

export function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`)
  return value
}
