import { addRouteHook } from '../http/route-hooks.ts'
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { actorFields } from './actor-fields.ts'
import type { Logger } from './logger.ts'
import { activeTenants, httpRequestDurationSeconds, tenantRequests } from './metrics.ts'

/** The route label of requests that matched no route: a fixed value, never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched'

/**
 * Fastify's per-request lines ("incoming request" with the raw URL and headers, "request
 * completed", "Route … not found" with the query string) are replaced by the observer's one
 * line per request; Fastify's other lines (stream and serializer errors) stay.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(): void {}
  override routeNotFound(): void {}
}

/**
 * One onResponse step per request, for the request log line and the request metrics together:
 * http_request_duration_seconds, tenant_requests_total and active_tenants (DESIGN §12).
 *
 * The route template is known when the route is registered, so each route gets its own hook
 * with the template closed over (no request reads request.routeOptions, a fresh object per
 * read); requests that match no route go through the app-wide hook, which only acts on 404s.
 * The log line names the route template, not the URL: no query strings (and so no tokens from
 * ?token=... links) reach the log.
 */
async function httpObserverPlugin(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route) => {
    const template = route.url
    const observe = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      observeRequest(request, reply, template)
      done()
    }
    addRouteHook(route, 'onResponse', observe, 'last')
  })

  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) observeRequest(request, reply, UNMATCHED_ROUTE)
    done()
  })
}

/**
 * Requests the router refuses before any hook (a malformed URL escape, an over-long path
 * parameter) run no hooks at all: app.ts calls this from its frameworkErrors handler so they are
 * still logged and counted, as unmatched.
 */
export function observeUnroutedRequest(request: FastifyRequest, reply: FastifyReply): void {
  const started = performance.now()
  reply.raw.once('finish', () => observeRequest(request, reply, UNMATCHED_ROUTE, performance.now() - started))
}

function observeRequest(request: FastifyRequest, reply: FastifyReply, route: string, elapsed?: number): void {
  const milliseconds = elapsed ?? reply.elapsedTime
  const status = reply.statusCode
  const tenantId = request.tenantId
  httpRequestDurationSeconds.observe({ method: request.method, route, status }, milliseconds / 1000)
  if (tenantId !== undefined) {
    tenantRequests().record(tenantId)
    activeTenants.record(tenantId)
  }
  // At LOG_LEVEL=warn and above, a success writes no line: skip building it.
  if (status < 500 && !(request.log as Logger).isLevelEnabled('info')) return
  const fields = {
    tenant_id: tenantId,
    actor: actorFields(request.actor),
    method: request.method,
    route,
    status,
    duration_ms: Math.round(milliseconds * 1000) / 1000,
  }
  if (status >= 500) request.log.error(fields, 'request completed')
  else request.log.info(fields, 'request completed')
}

export default fp(httpObserverPlugin, { name: 'tenantry-http-observer' })
