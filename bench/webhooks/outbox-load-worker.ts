// One autocannon load of POST requests in its own process (as bench/load-worker.ts does for the
// read bench): options as JSON in argv[2], figures as JSON on stdout. Each connection sticks to
// one tenant (connection i → tenant i mod n), so with as many tenants as connections no two
// requests wait for the same tenant's locks. `[<id>]` in the body becomes a number unique to this
// process, so every request creates a new item. (Not autocannon's own idReplacement: it sets
// Content-Length for a 27-character id, its ids grow longer, and the server then waits for bytes
// that never come.)
import autocannon from 'autocannon'
import { percentile } from './stats.ts'

export interface PostLoadOptions {
  url: string
  connections: number
  durationSec: number
  path: string
  /** `[<id>]` is replaced per request. */
  body: string
  /** Request headers per tenant (its bearer token). */
  tenants: Record<string, string>[]
}

export interface PostLoadFigures {
  requestsPerSec: number
  latencyP50Ms: number
  latencyP99Ms: number
  requests: number
}

async function run(options: PostLoadOptions): Promise<PostLoadFigures> {
  const latencies: number[] = []
  const statuses = new Map<number, number>()
  let sequence = 0
  let clients = 0
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    // setupRequest (and the body it sets) are autocannon options that bench/autocannon.d.ts does not declare.
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSec,
        requests: [
          {
            method: 'POST',
            path: options.path,
            setupRequest: (request: Record<string, unknown>, context: { tenant?: number }) => {
              context.tenant ??= clients++ % options.tenants.length
              return { ...request, headers: options.tenants[context.tenant], body: options.body.replaceAll('[<id>]', String(sequence++)) }
            },
          },
        ],
      } as unknown as autocannon.Options,
      (error, value) => (error ? reject(error) : resolve(value)),
    )
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      if (status === 201) latencies.push(ms)
    })
  })
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0 || result.requests.total === 0) {
    throw new Error(`POST load on ${options.url} failed: ${result.requests.total} responses (${JSON.stringify(Object.fromEntries(statuses))}), ${result.errors} errors, ${result.timeouts} timeouts`)
  }
  const sorted = Float64Array.from(latencies).sort()
  return {
    requestsPerSec: result.requests.total / result.duration,
    latencyP50Ms: percentile(sorted, 50),
    latencyP99Ms: percentile(sorted, 99),
    requests: result.requests.total,
  }
}

run(JSON.parse(process.argv[2]!) as PostLoadOptions).then(
  (figures) => process.stdout.write(JSON.stringify(figures)),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
