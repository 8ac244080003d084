import type { FastifyInstance } from 'fastify'
import type { UsageMeter } from './usage-meter.ts'

/**
 * Counts every tenant-scoped response once it is sent: a request, an error (>= 500) or client
 * error (>= 400), and its duration for the tenant's p95. Only requests admitted to a tenant have
 * request.tenantId; refusals before that (401, 403 tenant_access_denied) are nobody's usage.
 * No I/O here: the meter adds in memory (the throughput benchmark runs through this).
 */
export function addUsageHook(app: FastifyInstance, meter: UsageMeter): void {
  app.addHook('onResponse', (request, reply, done) => {
    const tenantId = request.tenantId
    if (tenantId !== undefined) meter.observe(tenantId, reply.statusCode, reply.elapsedTime)
    done()
  })
}
