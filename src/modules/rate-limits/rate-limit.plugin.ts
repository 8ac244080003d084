import { addRouteHook } from '../../http/route-hooks.ts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../../config/index.ts'
import { problem } from '../../errors/index.ts'
import { sendProblem } from '../../http/error-handler.ts'
import { quotaExceededTotal, rateLimitedTotal } from '../../observability/metrics.ts'
import { secondsToReset, type Verdict } from './checks.ts'
import { LimitPolicy, type RequestLimits } from './limit-policy.ts'
import type { RequestLimiter } from './request-limiter.ts'

export interface RateLimitPluginOptions {
  config: Pick<Config, 'RATE_LIMIT_MAX_REQUESTS' | 'RATE_LIMIT_WINDOW_MS' | 'RATE_LIMIT_MULTIPLIER'>
  limiter: RequestLimiter
}

type Done = (error?: Error) => void

/**
 * Rate limits and the daily request quota on every /api route, decided after access control
 * (the tenant and the caller are known then) and before the body is read. Like access, it is
 * attached per route when the route is registered, after the access hook: routes outside /api
 * run nothing. Every limited response carries RateLimit-Limit/-Remaining/-Reset (of the check
 * closest to its limit) and RateLimit-Policy (all of them); a refusal is 429 with Retry-After.
 */
async function rateLimitPlugin(app: FastifyInstance, options: RateLimitPluginOptions): Promise<void> {
  const { config, limiter } = options
  limiter.logger ??= app.log
  const policy = new LimitPolicy({ fallbackLimit: config.RATE_LIMIT_MAX_REQUESTS, fallbackWindowMs: config.RATE_LIMIT_WINDOW_MS, multiplier: config.RATE_LIMIT_MULTIPLIER })

  const limit = (request: FastifyRequest, reply: FastifyReply, done: Done) => {
    const limits = policy.limitsOf(request)
    if (limits === undefined) return done()
    const verdict = limiter.take(limits.checks)
    if (!(verdict instanceof Promise)) return respond(request, reply, limits, verdict, done)
    verdict.then(
      (decided) => respond(request, reply, limits, decided, done),
      // The limiter falls back in process by itself; anything else must not cost the request.
      (error: unknown) => {
        request.log.error({ err: error }, 'rate limiter failed; request admitted')
        done()
      },
    )
  }

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return
    addRouteHook(route, 'onRequest', limit, 'last')
  })
}

function respond(request: FastifyRequest, reply: FastifyReply, limits: RequestLimits, verdict: Verdict, done: Done): void {
  const index = verdict.refused >= 0 ? verdict.refused : closest(verdict.remaining)
  const check = limits.checks[index]!
  const reset = secondsToReset(verdict.now, check.windowMs)
  reply.header('ratelimit-limit', check.limit)
  reply.header('ratelimit-remaining', verdict.remaining[index])
  reply.header('ratelimit-reset', reset)
  reply.header('ratelimit-policy', limits.policy)
  if (verdict.refused < 0) return done()

  const context = { instance: request.url.split('?')[0], request_id: request.id }
  if (check.kind === 'quota') {
    quotaExceededTotal.inc({ limit: 'api_requests_per_day' })
    const body = problem('quota_exceeded', `the plan allows ${check.limit} API requests per day; the count starts again at 00:00 UTC`, { limit: 'api_requests_per_day', allowed: check.limit, retry_after: reset })
    // DESIGN §11: a request quota is 429 (retry later), unlike the 403 of max_users / max_items.
    void sendProblem(reply, { ...body, status: 429, ...context })
    return
  }
  rateLimitedTotal.inc({ plan: limits.plan })
  void sendProblem(reply, { ...problem('rate_limited', `at most ${check.limit} requests per ${Math.round(check.windowMs / 1000)} s; retry after ${reset} s`, { retry_after: reset }), ...context })
}

/** The check with the fewest requests left (the first on a tie): the one the headers describe. */
function closest(remaining: number[]): number {
  let index = 0
  for (let i = 1; i < remaining.length; i++) if (remaining[i]! < remaining[index]!) index = i
  return index
}

export default fp(rateLimitPlugin, { name: 'tenantry-rate-limits', dependencies: ['tenantry-access'] })
