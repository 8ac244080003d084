import { Counter, Registry } from 'prom-client'

/**
 * The process's Prometheus registry. One per process (every app in it shares it, as a scrape
 * sees one process); the /metrics route renders it. Counters only ever go up, so tests read
 * a metric before and after and compare.
 */
export const metricsRegistry = new Registry()

/** Permission denials (DESIGN §12). Labels are bounded: 24 permissions, their resources and actions. */
export const rbacDeniedTotal = new Counter({
  name: 'rbac_denied_total',
  help: 'Requests refused with 403 permission_denied, by the permission the route needs',
  labelNames: ['permission', 'resource', 'action'] as const,
  registers: [metricsRegistry],
})

/** The registry in the Prometheus text exposition format. */
export function renderMetrics(): Promise<string> {
  return metricsRegistry.metrics()
}

export const metricsContentType = metricsRegistry.contentType

/** One sample's value from rendered text (tests and the console): 0 when the series is absent. */
export function sampleValue(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels)
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    const body = line.slice(name.length + 1, line.lastIndexOf('}'))
    const found = Object.fromEntries([...body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((match) => [match[1], match[2]]))
    if (wanted.every(([key, value]) => found[key] === value)) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return 0
}
