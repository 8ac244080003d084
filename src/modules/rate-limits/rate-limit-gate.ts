import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config/index.ts'
import { problem } from '../../errors/index.ts'
import { sendProblem } from '../../http/error-handler.ts'
import { quotaExceededTotal, rateLimitedTotal } from '../../observability/metrics.ts'
import { secondsToReset, type Verdict } from './checks.ts'
import { LimitPolicy, type RequestLimits, type TenantLike } from './limit-policy.ts'
import type { RequestLimiter } from './request-limiter.ts'

type Done = (error?: Error) => void

export interface RateLimitGateOptions {
  config: Pick<Config, 'RATE_LIMIT_MAX_REQUESTS' | 'RATE_LIMIT_WINDOW_MS' | 'RATE_LIMIT_MULTIPLIER'>
  limiter: RequestLimiter
}

/**
 * Where requests meet their limits, on both sides of access control (D34, D64). `admitted` is
 * the last onRequest hook of every /api route: the tenant and the caller are known then.
 * `refused` is called by the access hook with every refusal before the refusal goes any
 * further, so that refusing costs the caller its limit too. Either way a request past a limit
 * is answered 429 here, with Retry-After; one within its limits gets RateLimit-Limit/-Remaining/
 * -Reset (of the check closest to its limit) and RateLimit-Policy (all of them), and goes on.
 */
export class RateLimitGate {
  readonly limiter: RequestLimiter
  private readonly policy: LimitPolicy

  constructor(options: RateLimitGateOptions) {
    const { config } = options
    this.limiter = options.limiter
    this.policy = new LimitPolicy({ fallbackLimit: config.RATE_LIMIT_MAX_REQUESTS, fallbackWindowMs: config.RATE_LIMIT_WINDOW_MS, multiplier: config.RATE_LIMIT_MULTIPLIER })
  }

  /** The onRequest hook of a request access control admitted. */
  readonly admitted = (request: FastifyRequest, reply: FastifyReply, done: Done): void => {
    const limits = this.policy.limitsOf(request)
    if (limits === undefined) return done()
    this.decide(request, reply, limits, done)
  }

  /**
   * A request access control refused: `proceed` (answer the refusal, record a denial) runs only
   * within the limit; past it the answer is 429 and nothing else happens. `tenant` is the
   * caller's own tenant when it was refused inside it (a missing permission), else undefined.
   */
  readonly refused = (request: FastifyRequest, reply: FastifyReply, tenant: TenantLike | undefined, proceed: () => void): void => {
    this.decide(request, reply, this.policy.refusalLimitsOf(request, tenant), proceed)
  }

  private decide(request: FastifyRequest, reply: FastifyReply, limits: RequestLimits, done: Done): void {
    const verdict = this.limiter.take(limits.checks)
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
