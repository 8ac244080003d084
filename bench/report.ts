// Turns the measured rounds into the console tables and bench/results/latest.json: one row per
// variant (medians over the rounds), then the figures of DESIGN §16 / issue 6 with their goals.
import { cpus } from 'node:os'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import type { LoadFigures } from './load.ts'
import { BASELINE, type Variant } from './variants.ts'

export interface RoundFigures extends LoadFigures {
  /** The server's resident set size right after the measured load, in bytes. */
  rssBytes: number
  /** Server CPU time (user + system) during the measured load per response, in microseconds. */
  cpuMicrosPerRequest: number
  /** CPU time of every PostgreSQL process during the measured load per response, in microseconds. */
  postgresCpuMicrosPerRequest: number
  /** Busy CPU time of the whole machine (server, PostgreSQL, load generator, kernel) per response. */
  machineCpuMicrosPerRequest: number
}

/**
 * One back-to-back pair: a reference variant and the variant compared with it, measured seconds
 * apart (figure 1: the bare read and the API read; figure 3: the API read on 10 tenants and on
 * BENCH_TENANTS).
 */
export interface PairFigures {
  reference: RoundFigures
  compared: RoundFigures
}

/** The pairs of one run: figure 1's (throughput, one-connection latency) and figure 3's; empty when their variants did not run. */
export interface PairRuns {
  read: PairFigures[]
  latency: PairFigures[]
  tenants: PairFigures[]
}

/** A pair's ratio of requests/s: the compared variant's over the reference's. */
export const pairRatio = (pair: PairFigures): number => pair.compared.requestsPerSec / pair.reference.requestsPerSec
const pairP99Ratio = (pair: PairFigures): number => pair.compared.latencyP99Ms / pair.reference.latencyP99Ms
const pairRssRatio = (pair: PairFigures): number => pair.compared.rssBytes / pair.reference.rssBytes

export interface Measured {
  variant: Variant
  rounds: RoundFigures[]
}

/** A variant's figures: each the median of its rounds, taken separately. */
export interface Row {
  name: string
  description: string
  requests_per_sec: number
  latency_p50_ms: number
  latency_p99_ms: number
  /** Requests/s over the baseline of its kind (see baselineOf); null for provisioning. */
  ratio: number | null
  rss_mb: number
  /** Server CPU time per request: less sensitive than req/s to other load on the machine. */
  cpu_us_per_request: number
  /**
   * PostgreSQL's and the whole machine's CPU time per request. On a machine the server shares with
   * PostgreSQL and the load generator, req/s follows the machine's figure, not the server's alone.
   */
  postgres_cpu_us_per_request: number
  load_cpu_us_per_request: number
  machine_cpu_us_per_request: number
  connections: number
  rounds_requests_per_sec: number[]
}

export interface Goal {
  op: '>=' | '<=' | '<'
  value: number
}

export interface Figure {
  key: string
  label: string
  value: number | null
  unit: string
  goal: Goal | null
  /** How the value is computed, and what limits it. */
  note: string
}

export interface RunInfo {
  postgresVersion: string
  durationSec: number
  rounds: number
  connections: number
  loadAverageAtStart: number
  elapsedSec: number
  databases: Record<string, { tenants: number; items: number }>
  command: string
}

const round = (value: number, digits: number) => Number(value.toFixed(digits))

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The variant each one's requests/s is divided by: the bare server doing the same work. */
export function baselineOf(variant: Variant): string | undefined {
  if (variant.load === 'api-provision') return undefined
  if (variant.load === 'bare-write' || variant.load === 'api-write' || variant.load === 'api-write-spread') return 'bare_insert'
  return variant.connections === 1 ? 'a_bare_postgresjs_1c' : BASELINE
}

export function rowsOf(measured: Measured[], connections: number): Row[] {
  const rps = new Map(measured.map(({ variant, rounds }) => [variant.name, median(rounds.map((r) => r.requestsPerSec))]))
  return measured.map(({ variant, rounds }) => {
    const own = rps.get(variant.name)!
    const baseline = baselineOf(variant)
    const base = baseline === undefined ? undefined : rps.get(baseline)
    return {
      name: variant.name,
      description: variant.description,
      requests_per_sec: Math.round(own),
      latency_p50_ms: round(median(rounds.map((r) => r.latencyP50Ms)), 2),
      latency_p99_ms: round(median(rounds.map((r) => r.latencyP99Ms)), 2),
      ratio: base === undefined ? null : round(own / base, 2),
      rss_mb: round(median(rounds.map((r) => r.rssBytes)) / 2 ** 20, 1),
      cpu_us_per_request: Math.round(median(rounds.map((r) => r.cpuMicrosPerRequest))),
      postgres_cpu_us_per_request: Math.round(median(rounds.map((r) => r.postgresCpuMicrosPerRequest))),
      load_cpu_us_per_request: Math.round(median(rounds.map((r) => r.loadCpuMicrosPerRequest))),
      machine_cpu_us_per_request: Math.round(median(rounds.map((r) => r.machineCpuMicrosPerRequest))),
      connections: variant.connections ?? connections,
      rounds_requests_per_sec: rounds.map((r) => Math.round(r.requestsPerSec)),
    }
  })
}

interface PairedFigure {
  /** The figure from the round medians; null when its variants did not run. */
  rounds: number | null
  /** The figure of each back-to-back pair (see measurePairs in run.ts); empty when no pairs ran. */
  pairs: number[]
  /** What the figure compares, and the round medians behind `rounds`. */
  what: string
  /** The unit the pair values are printed with (' ms'); none for ratios. */
  unit?: string
}

/**
 * Figures 1 and 3 and figure 1's p99 added: the median of the back-to-back pairs when pairs ran
 * (robust to the VM's swings between rounds), else the round medians' figure; the note gives both.
 */
function pairedFigure({ rounds, pairs, what, unit = '' }: PairedFigure): { value: number | null; note: string } {
  if (pairs.length === 0) return { value: rounds, note: `${what} (round medians)` }
  return {
    value: round(median(pairs), 2),
    note: `median of ${pairs.length} back-to-back pairs (${pairs.map((value) => value.toFixed(2) + unit).join(', ')}); the round medians give ${rounds ?? '-'} (${what})`,
  }
}

/** The summary figures; a figure whose variants did not run is null. */
export function figuresOf(rows: Row[], largeTenants: number, pairs: PairRuns = { read: [], latency: [], tenants: [] }): Figure[] {
  const row = (name: string) => rows.find((r) => r.name === name)
  const ratio = (a: number | undefined, b: number | undefined, digits = 2) => (a === undefined || b === undefined || b === 0 ? null : round(a / b, digits))
  const difference = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? null : round(a - b, 2))
  const bare = row(BASELINE)
  const api = row('api_read')
  const large = row('api_read_large')
  const pglite = row('api_read_pglite')
  const read = pairedFigure({ rounds: ratio(api?.requests_per_sec, bare?.requests_per_sec), pairs: pairs.read.map(pairRatio), what: 'api_read / a_bare_postgresjs at full load' })
  const bare1c = row('a_bare_postgresjs_1c')?.latency_p99_ms
  const api1c = row('api_read_1c')?.latency_p99_ms
  const p99Added = pairedFigure({
    rounds: difference(api1c, bare1c),
    pairs: pairs.latency.map((pair) => pair.compared.latencyP99Ms - pair.reference.latencyP99Ms),
    what: `api_read_1c - a_bare_postgresjs_1c, no queueing: ${api1c ?? '-'} vs ${bare1c ?? '-'} ms`,
    unit: ' ms',
  })
  const tenantsP99 = pairedFigure({
    rounds: ratio(large?.latency_p99_ms, api?.latency_p99_ms),
    pairs: pairs.tenants.map(pairP99Ratio),
    what: `api_read_large / api_read: ${large?.latency_p99_ms ?? '-'} vs ${api?.latency_p99_ms ?? '-'} ms; req/s ${ratio(large?.requests_per_sec, api?.requests_per_sec) ?? '-'}×`,
  })
  const tenantsRss = pairedFigure({
    rounds: ratio(large?.rss_mb, api?.rss_mb),
    pairs: pairs.tenants.map(pairRssRatio),
    what: `api_read_large / api_read, RSS after the load: ${large?.rss_mb ?? '-'} vs ${api?.rss_mb ?? '-'} MB`,
  })
  return [
    {
      key: 'read_ratio',
      label: '1. API read / bare prepared read, req/s',
      value: read.value,
      unit: '×',
      goal: { op: '>=', value: 0.8 },
      note: read.note,
    },
    {
      key: 'read_p99_added_ms',
      label: '1. p99 added by the API, one connection',
      value: p99Added.value,
      unit: 'ms',
      goal: { op: '<', value: 1 },
      note: p99Added.note,
    },
    {
      key: 'read_p50_added_ms',
      label: '1. p50 added by the API, one connection',
      value: difference(row('api_read_1c')?.latency_p50_ms, row('a_bare_postgresjs_1c')?.latency_p50_ms),
      unit: 'ms',
      goal: null,
      note: `the typical request: ${row('api_read_1c')?.latency_p50_ms ?? '-'} vs ${row('a_bare_postgresjs_1c')?.latency_p50_ms ?? '-'} ms`,
    },
    {
      key: 'read_p99_added_loaded_ms',
      label: '1. p99 added by the API, full load',
      value: difference(api?.latency_p99_ms, bare?.latency_p99_ms),
      unit: 'ms',
      goal: null,
      note: 'api_read - a_bare_postgresjs: mostly queueing, follows from the req/s ratio',
    },
    {
      key: 'read_isolation_ratio',
      label: '1. split: bare read through the tenant statement / bare',
      value: ratio(row('a3_bare_tenant_statement')?.requests_per_sec, bare?.requests_per_sec),
      unit: '×',
      goal: null,
      note: 'a3_bare_tenant_statement / a_bare_postgresjs (round medians): the database side of isolation (context statement, RLS) alone',
    },
    {
      key: 'read_app_stack_ratio',
      label: "1. split: bare read inside Tenantry's app / bare",
      value: ratio(row('b_app_bare_read')?.requests_per_sec, bare?.requests_per_sec),
      unit: '×',
      goal: null,
      note: "b_app_bare_read / a_bare_postgresjs (round medians): Tenantry's HTTP stack alone, no tenancy",
    },
    {
      key: 'read_contract_floor_ratio',
      label: "1. split: bare read with only the contract's response duties / bare",
      value: ratio(row('c_contract_floor')?.requests_per_sec, bare?.requests_per_sec),
      unit: '×',
      goal: null,
      note: 'c_contract_floor / a_bare_postgresjs (round medians): request id, security and RateLimit headers, ALS, one histogram observation, in bare Fastify: the least any HTTP stack meeting the contract costs',
    },
    {
      key: 'read_over_floor_ratio',
      label: '1. split: API read / that floor',
      value: ratio(api?.requests_per_sec, row('c_contract_floor')?.requests_per_sec),
      unit: '×',
      goal: null,
      note: 'api_read / c_contract_floor (round medians): what tenancy (JWT, resolution, RBAC, limits, quota, RLS statement, usage, tenant metrics) costs beyond the floor',
    },
    {
      key: 'write_ratio',
      label: '2. API write / bare insert, req/s',
      value: ratio(row('api_write')?.requests_per_sec, row('bare_insert')?.requests_per_sec),
      unit: '×',
      goal: null,
      note: `api_write / bare_insert (${row('api_write')?.requests_per_sec ?? '-'} vs ${row('bare_insert')?.requests_per_sec ?? '-'} req/s; over 4 tenants ${row('api_write_4t')?.requests_per_sec ?? '-'} req/s)`,
    },
    {
      key: 'tenants_p99_ratio',
      label: `3. p99, ${largeTenants.toLocaleString('en')} tenants / 10`,
      value: tenantsP99.value,
      unit: '×',
      goal: { op: '<=', value: 1.2 },
      note: tenantsP99.note,
    },
    {
      key: 'tenants_rss_ratio',
      label: `3. server RSS, ${largeTenants.toLocaleString('en')} tenants / 10`,
      value: tenantsRss.value,
      unit: '×',
      goal: { op: '<=', value: 1.2 },
      note: tenantsRss.note,
    },
    {
      key: 'provision_per_sec',
      label: '4. tenants provisioned per second',
      value: row('api_provision')?.requests_per_sec ?? null,
      unit: '/s',
      goal: { op: '>=', value: 200 },
      note: `POST /api/v1/tenants, p99 ${row('api_provision')?.latency_p99_ms ?? '-'} ms`,
    },
    {
      key: 'pglite_read_per_sec',
      label: '5. API read on PGlite, req/s',
      value: pglite?.requests_per_sec ?? null,
      unit: '/s',
      goal: null,
      note: `${ratio(pglite?.requests_per_sec, api?.requests_per_sec) ?? '-'}× of api_read on PostgreSQL; p99 ${pglite?.latency_p99_ms ?? '-'} ms`,
    },
  ]
}

export function meets(figure: Figure): boolean | null {
  if (figure.goal === null || figure.value === null) return null
  const { op, value } = figure.goal
  return op === '>=' ? figure.value >= value : op === '<=' ? figure.value <= value : figure.value < value
}

export function formatVariants(rows: Row[]): string {
  return table(
    ['variant', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'ratio', 'CPU µs/req', 'PG µs/req', 'load µs/req', 'all µs/req', 'RSS MB'],
    rows.map((row) => [
      row.name,
      String(row.connections),
      String(row.requests_per_sec),
      row.latency_p50_ms.toFixed(2),
      row.latency_p99_ms.toFixed(2),
      row.ratio === null ? '-' : row.ratio.toFixed(2),
      String(row.cpu_us_per_request),
      String(row.postgres_cpu_us_per_request),
      String(row.load_cpu_us_per_request),
      String(row.machine_cpu_us_per_request),
      row.rss_mb.toFixed(0),
    ]),
  )
}

export function formatFigures(figures: Figure[]): string {
  return table(
    ['figure', 'value', 'goal', '', 'how'],
    figures.map((figure) => {
      const met = meets(figure)
      return [
        figure.label,
        figure.value === null ? 'not run' : `${figure.value}${figure.unit === '×' ? '×' : ` ${figure.unit}`}`,
        figure.goal === null ? 'reported' : `${figure.goal.op} ${figure.goal.value}${figure.unit === '×' ? '×' : ` ${figure.unit}`}`,
        met === null ? '' : met ? 'met' : 'MISSED',
        figure.note,
      ]
    }),
    [false, true, false, false, false],
  )
}

/** Text columns read left-aligned, figures right-aligned (or as `right` says). */
function table(header: string[], lines: string[][], right?: boolean[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)))
  const alignRight = right ?? header.map((_, column) => column > 0)
  const format = (cells: string[]) =>
    cells.map((cell, column) => (alignRight[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd()
  return [format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(format)].join('\n')
}

// Top-level keys this bench writes; anything else in latest.json (the webhook bench's section)
// is kept as it is. ratio_b_over_a is an older key of this bench, dropped.
const OWN_KEYS = ['date', 'command', 'node_version', 'postgres_version', 'cpu_count', 'cpu_model', 'load_average_1m_at_start', 'elapsed_sec', 'duration_sec', 'rounds', 'connections', 'databases', 'figures', 'variants', 'read_pairs', 'latency_pairs', 'tenant_pairs', 'ratio_b_over_a']

export function writeResults(file: string, info: RunInfo, rows: Row[], figures: Figure[], pairs: PairRuns = { read: [], latency: [], tenants: [] }): void {
  const cpu = cpus()
  const results = {
    date: new Date().toISOString(),
    command: info.command,
    node_version: process.version,
    postgres_version: info.postgresVersion,
    cpu_count: cpu.length,
    cpu_model: cpu[0]?.model.trim() ?? 'unknown',
    load_average_1m_at_start: info.loadAverageAtStart,
    elapsed_sec: info.elapsedSec,
    duration_sec: info.durationSec,
    rounds: info.rounds,
    connections: info.connections,
    databases: info.databases,
    figures: Object.fromEntries(figures.map((f) => [f.key, { label: f.label, value: f.value, unit: f.unit, goal: f.goal, met: meets(f), note: f.note }])),
    variants: rows,
    // Figure 1's back-to-back pairs, in the order measured (odd pairs ran the API first).
    read_pairs: pairs.read.map((pair) => ({
      bare_requests_per_sec: Math.round(pair.reference.requestsPerSec),
      api_requests_per_sec: Math.round(pair.compared.requestsPerSec),
      ratio: round(pairRatio(pair), 2),
      bare_machine_cpu_us_per_request: Math.round(pair.reference.machineCpuMicrosPerRequest),
      api_machine_cpu_us_per_request: Math.round(pair.compared.machineCpuMicrosPerRequest),
      bare_cpu_us_per_request: Math.round(pair.reference.cpuMicrosPerRequest),
      api_cpu_us_per_request: Math.round(pair.compared.cpuMicrosPerRequest),
    })),
    // Figure 1's one-connection pairs: p99 of the bare read and of the API read, no queueing.
    latency_pairs: pairs.latency.map((pair) => ({
      bare_p99_ms: round(pair.reference.latencyP99Ms, 2),
      api_p99_ms: round(pair.compared.latencyP99Ms, 2),
      p99_added_ms: round(pair.compared.latencyP99Ms - pair.reference.latencyP99Ms, 2),
      bare_p50_ms: round(pair.reference.latencyP50Ms, 2),
      api_p50_ms: round(pair.compared.latencyP50Ms, 2),
    })),
    // Figure 3's pairs: api_read on the 10-tenant database (small) and on the large one.
    tenant_pairs: pairs.tenants.map((pair) => ({
      small_requests_per_sec: Math.round(pair.reference.requestsPerSec),
      large_requests_per_sec: Math.round(pair.compared.requestsPerSec),
      small_p99_ms: round(pair.reference.latencyP99Ms, 2),
      large_p99_ms: round(pair.compared.latencyP99Ms, 2),
      p99_ratio: round(pairP99Ratio(pair), 2),
      small_rss_mb: round(pair.reference.rssBytes / 2 ** 20, 1),
      large_rss_mb: round(pair.compared.rssBytes / 2 ** 20, 1),
      rss_ratio: round(pairRssRatio(pair), 2),
    })),
  }
  // Read just before writing: another bench may have added its section since this run started.
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
  const others = Object.fromEntries(Object.entries(existing).filter(([key]) => !OWN_KEYS.includes(key)))
  // Write then rename, so an interrupted run never leaves a half-written latest.json.
  const temporary = file.replace(/\.json$/, '.tmp.json')
  writeFileSync(temporary, `${JSON.stringify({ ...results, ...others }, null, 2)}\n`)
  renameSync(temporary, file)
}
