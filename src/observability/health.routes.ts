import type { FastifyInstance } from 'fastify'
import { healthReport, type HealthDeps } from './health.service.ts'

export interface HealthRouteOptions extends HealthDeps {
  /** True once shutdown began: readiness fails so the load balancer stops sending traffic. */
  isShuttingDown: () => boolean
}

export async function healthRoutes(app: FastifyInstance, options: HealthRouteOptions): Promise<void> {
  const schema = { tags: ['infrastructure'], security: [] }

  app.get('/health', { schema: { ...schema, summary: 'Health of the service and its dependencies' } }, async (_request, reply) => {
    const report = await healthReport(options)
    return reply.code(report.status === 'down' ? 503 : 200).header('cache-control', 'no-store').send(report)
  })

  // Liveness: the process answers. Never checks dependencies, or a database outage restarts every pod.
  app.get('/health/live', { schema: { ...schema, summary: 'Liveness' } }, async () => ({ status: 'ok' }))

  app.get('/health/ready', { schema: { ...schema, summary: 'Readiness: database reachable and not shutting down' } }, async (_request, reply) => {
    if (options.isShuttingDown()) return reply.code(503).send({ status: 'shutting_down' })
    try {
      await options.db.ping(1500)
      return { status: 'ready' }
    } catch {
      return reply.code(503).send({ status: 'unavailable', checks: { database: 'down' } })
    }
  })
}
