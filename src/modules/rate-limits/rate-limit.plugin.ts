import { addRouteHook } from '../../http/route-hooks.ts'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { RateLimitGate } from './rate-limit-gate.ts'

export interface RateLimitPluginOptions {
  /** The same gate the access plugin sends its refusals through (app.ts). */
  gate: RateLimitGate
}

/**
 * Rate limits and the daily request quota on every /api route, decided after access control
 * (the tenant and the caller are known then) and before the body is read. Like access, it is
 * attached per route when the route is registered, after the access hook: routes outside /api
 * run nothing. Requests access control refuses never get here: the access hook sends them
 * through the gate's `refused` side before it answers them (D64).
 */
async function rateLimitPlugin(app: FastifyInstance, options: RateLimitPluginOptions): Promise<void> {
  const { gate } = options
  gate.limiter.logger ??= app.log

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return
    addRouteHook(route, 'onRequest', gate.admitted, 'last')
  })
}

export default fp(rateLimitPlugin, { name: 'tenantry-rate-limits', dependencies: ['tenantry-access'] })
