import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Database } from '../db/index.ts'
import { AppError } from '../errors/index.ts'
import { metricsContentType, poolStatsSource, renderMetrics, setPoolStatsSource, setTenantLabelLimit } from './metrics.ts'

export interface MetricsRoutesOptions {
  db: Database
  tenantLabelLimit: number
  /** METRICS_TOKEN: when set, a scrape must send Authorization: Bearer <token>. */
  token: string | undefined
}

const digest = (value: string) => createHash('sha256').update(value).digest()

/**
 * GET /metrics in the Prometheus text format (DESIGN §12). Outside /api: no tenant, no
 * principal; the optional METRICS_TOKEN is the only gate (Prometheus' `authorization` scrape
 * setting sends it). The pool gauges read this app's database at scrape time.
 */
export async function metricsRoutes(app: FastifyInstance, options: MetricsRoutesOptions): Promise<void> {
  setTenantLabelLimit(options.tenantLabelLimit)
  const source = () => options.db.poolStats()
  setPoolStatsSource(source)
  app.addHook('onClose', async () => {
    if (poolStatsSource() === source) setPoolStatsSource(undefined)
  })

  const expected = options.token === undefined ? undefined : digest(options.token)
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (expected && !authorized(request, expected)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"')
      throw new AppError('unauthorized', 'send Authorization: Bearer <METRICS_TOKEN>')
    }
    return reply.type(metricsContentType).send(await renderMetrics())
  })
}

/** Equal-length SHA-256 digests compared in constant time: no timing hint about the token. */
function authorized(request: FastifyRequest, expected: Buffer): boolean {
  const match = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')
  return match !== null && timingSafeEqual(digest(match[1]!), expected)
}
