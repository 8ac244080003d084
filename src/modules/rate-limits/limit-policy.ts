import type { FastifyRequest } from 'fastify'
import { effectiveConfig, type PlanName, type TenantSettings } from '../plans/index.ts'
import { DAY_MS, MINUTE_MS, type Check } from './checks.ts'

/** What a tenant contributes to a request's checks (a subset of the cached tenant record). */
export interface TenantLike {
  id: string
  plan: PlanName
  settings: TenantSettings
}

/** The checks of one request, the plan label for rate_limited_total, and the RateLimit-Policy header. */
export interface RequestLimits {
  checks: Check[]
  plan: string
  policy: string
}

interface TenantLimits {
  day: Check | undefined
  tenant: Check | undefined
  /** Per caller inside the tenant; undefined when the tenant's rate is unlimited. */
  callerLimit: number | undefined
  plan: PlanName
  policy: string
  /** RateLimit-Policy of a refused request: the per-minute checks only (D64). */
  refusalPolicy: string
}

// One caller (an API key, a user) may use at most this share of the tenant's per-minute rate,
// so a single noisy caller leaves the rest to the tenant's other callers.
const CALLER_SHARE = 0.5

export interface LimitPolicyOptions {
  /** RATE_LIMIT_MAX_REQUESTS per RATE_LIMIT_WINDOW_MS: traffic that has no tenant plan. */
  fallbackLimit: number
  fallbackWindowMs: number
  /** RATE_LIMIT_MULTIPLIER: scales every request limit (test suites and load tests raise it). */
  multiplier: number
}

/**
 * Which limits a request counts against (docs/decisions.md D34):
 * - a tenant's own caller on a tenant route: the daily quota (api_requests_per_day), the
 *   caller's share of the per-minute rate, and the tenant's per-minute rate;
 * - everything else (operators, also inside a tenant; anonymous callers by address; routes
 *   without a tenant): the fallback limit per caller;
 * - a request access control refused: refusalLimitsOf (D64).
 * The tenant part is computed once per cached tenant record (a settings change replaces the
 * record, so the next request sees the new limits).
 */
export class LimitPolicy {
  private readonly byTenant = new WeakMap<object, TenantLimits>()
  private readonly fallbackLimit: number
  private readonly fallbackPolicy: string

  private readonly options: LimitPolicyOptions

  constructor(options: LimitPolicyOptions) {
    this.options = options
    this.fallbackLimit = options.fallbackLimit * options.multiplier
    this.fallbackPolicy = policyOf([{ limit: this.fallbackLimit, windowMs: options.fallbackWindowMs }])
  }

  /** The request's limits, or undefined when nothing limits it (an unlimited plan). */
  limitsOf(request: FastifyRequest): RequestLimits | undefined {
    const tenant = request.tenant as TenantLike | undefined
    const actor = request.actor
    if (tenant !== undefined && (actor.type === 'user' || actor.type === 'api_key')) {
      const limits = this.tenantLimits(tenant)
      const checks: Check[] = []
      if (limits.day) checks.push(limits.day)
      if (limits.callerLimit !== undefined) {
        const caller = actor.type === 'user' ? `u:${actor.userId}` : `k:${actor.apiKeyId}`
        checks.push({ key: `p:${tenant.id}:${caller}`, tag: tenant.id, limit: limits.callerLimit, windowMs: MINUTE_MS, kind: 'rate' })
      }
      if (limits.tenant) checks.push(limits.tenant)
      return checks.length === 0 ? undefined : { checks, plan: limits.plan, policy: limits.policy }
    }
    return this.fallbackLimitsOf(request)
  }

  /**
   * The limits of a request access control refused (D64): always some, never the daily quota.
   * A tenant's own caller refused inside its tenant (a missing permission) counts against its
   * share of the tenant's rate and the tenant's rate, the keys its admitted requests use, so
   * refusals and admissions together stay within the plan's rate. Every other refusal, and a
   * tenant without a per-minute rate, counts against the fallback limit of whoever is known:
   * the operator, user or API key, else the address (a credential that did not authenticate
   * identifies no one).
   */
  refusalLimitsOf(request: FastifyRequest, tenant: TenantLike | undefined): RequestLimits {
    const principal = request.principal
    if (tenant !== undefined && (principal?.kind === 'user' || principal?.kind === 'api_key')) {
      const limits = this.tenantLimits(tenant)
      if (limits.tenant !== undefined && limits.callerLimit !== undefined) {
        const caller = principal.kind === 'user' ? `u:${principal.user.id}` : `k:${principal.apiKeyId}`
        const share: Check = { key: `p:${tenant.id}:${caller}`, tag: tenant.id, limit: limits.callerLimit, windowMs: MINUTE_MS, kind: 'rate' }
        return { checks: [share, limits.tenant], plan: limits.plan, policy: limits.refusalPolicy }
      }
    }
    return this.fallbackLimitsOf(request)
  }

  private fallbackLimitsOf(request: FastifyRequest): RequestLimits {
    const caller = callerOf(request)
    return {
      checks: [{ key: `g:${caller}`, tag: caller, limit: this.fallbackLimit, windowMs: this.options.fallbackWindowMs, kind: 'rate' }],
      plan: 'none',
      policy: this.fallbackPolicy,
    }
  }

  private tenantLimits(tenant: TenantLike): TenantLimits {
    let limits = this.byTenant.get(tenant)
    if (limits) return limits
    const { api_requests_per_day: perDay, rate_limit_per_minute: perMinute } = effectiveConfig(tenant.plan, tenant.settings).limits
    const scale = this.options.multiplier
    const day: Check | undefined = perDay === null ? undefined : { key: `d:${tenant.id}`, tag: tenant.id, limit: perDay * scale, windowMs: DAY_MS, kind: 'quota' }
    const rate: Check | undefined = perMinute === null ? undefined : { key: `t:${tenant.id}`, tag: tenant.id, limit: perMinute * scale, windowMs: MINUTE_MS, kind: 'rate' }
    const callerLimit = rate === undefined ? undefined : Math.ceil(rate.limit * CALLER_SHARE)
    const share = callerLimit === undefined ? undefined : { limit: callerLimit, windowMs: MINUTE_MS }
    const listed = [day, share, rate].filter((check) => check !== undefined)
    const minutely = [share, rate].filter((check) => check !== undefined)
    limits = { day, tenant: rate, callerLimit, plan: tenant.plan, policy: policyOf(listed), refusalPolicy: policyOf(minutely) }
    this.byTenant.set(tenant, limits)
    return limits
  }
}

/** Who counts against the fallback limit: the operator or user, the API key, or the address. */
function callerOf(request: FastifyRequest): string {
  const principal = request.principal
  switch (principal?.kind) {
    case 'super_admin':
      return 'super_admin'
    case 'user':
      return `u:${principal.user.id}`
    case 'api_key':
      return `k:${principal.apiKeyId}`
    default:
      return `ip:${request.ip}`
  }
}

/** RateLimit-Policy (draft-ietf-httpapi-ratelimit-headers-06): `limit;w=seconds` per policy. */
function policyOf(policies: { limit: number; windowMs: number }[]): string {
  return policies.map((policy) => `${policy.limit};w=${Math.round(policy.windowMs / 1000)}`).join(', ')
}
