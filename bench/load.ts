// Runs autocannon against one server and reduces the result to the figures the report needs.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

/** One request a connection sends; each connection cycles through the list in order. */
export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  /** `[<id>]` in the body becomes a number unique within this load (see UNIQUE below). */
  body?: string
}

export interface LoadOptions {
  url: string
  requests: LoadRequest[]
  /** Sent with every request. */
  headers: Record<string, string>
  connections: number
  durationSec: number
  /** Every response must have this status (200 for reads, 201 for creations); anything else fails the load. */
  expectStatus: number
}

export interface LoadFigures {
  requestsPerSec: number
  latencyP50Ms: number
  latencyP99Ms: number
  requests: number
  /** CPU time of the load generator's process per response, in microseconds. */
  loadCpuMicrosPerRequest: number
}

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url))
/** Replaced in request bodies by a per-load counter, so every POST creates a new row. */
export const UNIQUE = '[<id>]'

/**
 * Each load runs in a fresh process: measured in one long-lived load generator, later variants
 * came out 15-25% slower than the same server measured first (state building up in the
 * generator), which made the ratios depend on the order of the variants.
 */
export function runLoad(options: LoadOptions): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(options)], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr.trim() || error.message))
      else resolve(JSON.parse(stdout) as LoadFigures)
    })
  })
}

/** Throws when any request failed: figures from a server answering errors would be meaningless. */
export async function runLoadInProcess(options: LoadOptions): Promise<LoadFigures> {
  // autocannon's own latency histogram has 1 ms resolution, too coarse for reads that take
  // 1-3 ms; the per-response times it emits are in fractional milliseconds.
  const latencies: number[] = []
  const statuses = new Map<number, number>()
  let sequence = 0
  const cpuBefore = process.cpuUsage()
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSec,
        headers: options.headers,
        requests: options.requests.map((request) => {
          const base = { method: request.method, path: request.path, headers: { ...options.headers, ...request.headers } }
          const body = request.body
          if (body === undefined) return base
          if (!body.includes(UNIQUE)) return { ...base, body }
          // The body is replaced in setupRequest rather than with autocannon's idReplacement,
          // whose Content-Length is computed for a fixed-width id (longer ids hang the request).
          return { ...base, body, setupRequest: (built: autocannon.Request) => ({ ...built, body: body.replaceAll(UNIQUE, String(sequence++)) }) }
        }),
      },
      (error, value) => (error ? reject(error) : resolve(value)),
    )
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      if (status === options.expectStatus) latencies.push(ms)
    })
  })
  const cpu = process.cpuUsage(cpuBefore)
  let unexpected = 0
  for (const [status, count] of statuses) if (status !== options.expectStatus) unexpected += count
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0 || unexpected > 0 || result.requests.total === 0) {
    throw new Error(
      `load on ${options.url} failed: ${result.requests.total} responses (by status ${JSON.stringify(Object.fromEntries(statuses))}, ` +
        `expected all ${options.expectStatus}), ${result.errors} errors, ${result.timeouts} timeouts`,
    )
  }
  const sorted = Float64Array.from(latencies).sort()
  return {
    requestsPerSec: result.requests.total / result.duration,
    latencyP50Ms: percentile(sorted, 50),
    latencyP99Ms: percentile(sorted, 99),
    requests: result.requests.total,
    loadCpuMicrosPerRequest: (cpu.user + cpu.system) / result.requests.total,
  }
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: Float64Array, p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(rank, 1)) - 1]!
}
