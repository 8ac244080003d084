import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { runWithContext, type Actor } from '../context/index.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by tenant resolution; undefined on platform and infrastructure routes. */
    tenantId: string | undefined
    actor: Actor
  }
}

/**
 * Runs the rest of each request (handler included) inside an AsyncLocalStorage context built
 * from what the earlier hooks resolved. Log lines get tenant_id from that context (logger.ts
 * mixin), which costs nothing per request, unlike a child logger.
 * CAUTION: it must be the last preHandler hook, after authentication and tenant resolution.
 */
async function requestContextPlugin(app: FastifyInstance): Promise<void> {
  app.decorateRequest('tenantId', undefined)
  app.decorateRequest('actor', null as unknown as { getter: () => Actor })

  app.addHook('onRequest', (request, _reply, done) => {
    request.actor = { type: 'anonymous' }
    done()
  })

  app.addHook('preHandler', (request, _reply, done) => {
    runWithContext({ tenantId: request.tenantId, actor: request.actor, requestId: request.id, ip: request.ip, userAgent: request.headers['user-agent']?.slice(0, 300) }, done)
  })
}

export default fp(requestContextPlugin, { name: 'tenantry-request-context' })
