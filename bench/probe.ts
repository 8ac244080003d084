// One request before any load: a server that answers the wrong row (or an error) fails the
// bench here instead of producing fast, meaningless figures.
import type { BuiltRequests } from './requests.ts'
import { UNIQUE } from './load.ts'
import type { BenchData } from './seed-data.ts'
import type { LoadKind } from './variants.ts'

const PROBE_TIMEOUT_MS = 10_000

export async function probe(url: string, kind: LoadKind, built: BuiltRequests, data: BenchData): Promise<void> {
  const request = built.requests[0]!
  const body = request.body?.replaceAll(UNIQUE, 'probe')
  const response = await fetch(`${url}${request.path}`, {
    method: request.method,
    headers: { ...built.headers, ...request.headers },
    body,
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  })
  const text = await response.text()
  const reads = kind === 'bare-read' || kind === 'api-read'
  const status = reads ? 200 : 201
  if (response.status !== status) throw new Error(`probe ${request.method} ${url}${request.path} answered ${response.status} (expected ${status}): ${text}`)
  const answer = JSON.parse(text) as Record<string, unknown>
  const expected: Record<string, unknown> =
    kind === 'bare-read' ? { ...data.items[0]!, tenant_id: data.tenantId }
    : kind === 'api-read' ? { ...data.items[0]! }
    : kind === 'api-provision' ? { status: 'active' }
    : { item_code: (JSON.parse(body!) as { item_code: string }).item_code }
  for (const [key, value] of Object.entries(expected)) {
    if (answer[key] !== value) throw new Error(`probe of ${url}${request.path}: ${key} is ${JSON.stringify(answer[key])}, expected ${JSON.stringify(value)}`)
  }
}
