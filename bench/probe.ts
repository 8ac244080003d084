// One request before any load: a server that answers the wrong row (or an error) fails the
// bench here instead of producing fast, meaningless figures.
import type { BenchItem } from './setup-database.ts'

const PROBE_TIMEOUT_MS = 5_000

export async function probe(url: string, tenantId: string, item: BenchItem): Promise<void> {
  const response = await fetch(`${url}/items/${item.id}`, {
    headers: { 'x-tenant-id': tenantId },
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`probe of ${url} answered ${response.status}: ${text}`)
  const body = JSON.parse(text) as Record<string, unknown>
  const expected: Record<string, unknown> = { ...item, tenant_id: tenantId }
  for (const [key, value] of Object.entries(expected)) {
    if (body[key] !== value) throw new Error(`probe of ${url}: ${key} is ${JSON.stringify(body[key])}, expected ${JSON.stringify(value)}`)
  }
}
