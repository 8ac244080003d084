import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { TtlCache } from '../../cache/ttl-cache.ts'
import { runWithTenant } from '../../context/index.ts'
import { withTenantStatement, type Database } from '../../db/index.ts'
import { addRouteHook } from '../../http/route-hooks.ts'
import { configurationOf, quotaExceeded } from '../plans/index.ts'
import { latestSnapshot } from './usage.repository.ts'

// The estimate changes once an hour (the usage-snapshot job, D39): a minute of staleness per
// instance costs nothing, and spares a query per write.
const ESTIMATE_TTL_MS = 60_000
// Requests that add data: POST and PUT on tenant routes that need a :write permission. DELETE and
// PATCH stay open, so a tenant over its limit can make room (and rename things) meanwhile.
const GROWING_METHODS = new Set(['POST', 'PUT'])

type Done = (error?: Error) => void

/**
 * max_storage_bytes, enforced against the latest storage estimate of the tenant (usage_daily,
 * written by the hourly snapshot): while the estimate is at or over the limit, writes that add
 * data are refused with 403 quota_exceeded. The estimate lags by up to an hour, so a tenant can
 * pass its limit by what it writes in that time; the limit stops growth, not the byte.
 */
export class StorageQuota {
  private readonly estimates = new TtlCache<number | null>(ESTIMATE_TTL_MS, 100_000)

  private readonly db: Database

  constructor(
    db: Database,
    bus: InvalidationBus,
  ) {
    this.db = db
    bus.on((event) => {
      if (event.kind === 'tenant') this.estimates.delete(event.tenantId)
    })
  }

  /** undefined when there is room (or no limit) and the estimate is cached; a promise when it must be read. */
  check(request: FastifyRequest): Promise<void> | undefined {
    const tenant = request.tenant
    if (!tenant) return
    const limit = configurationOf(tenant).limits.max_storage_bytes
    if (limit === null) return
    const cached = this.estimates.get(tenant.id)
    if (cached !== undefined) return refuseOver(cached, limit)
    return this.estimate(tenant.id).then((used) => refuseOver(used, limit))
  }

  private async estimate(tenantId: string): Promise<number | null> {
    const snapshot = await runWithTenant(tenantId, () => withTenantStatement(this.db, (tx) => latestSnapshot(tx)))
    const used = snapshot?.storage_bytes ?? null
    this.estimates.set(tenantId, used)
    return used
  }
}

function refuseOver(used: number | null, limit: number): undefined {
  if (used !== null && used >= limit) {
    throw quotaExceeded('max_storage_bytes', limit, `the tenant stores about ${used} bytes where its plan allows ${limit}; delete data or ask the operator for a larger plan`)
  }
  return undefined
}

async function storageQuotaPlugin(app: FastifyInstance, { quota }: { quota: StorageQuota }): Promise<void> {
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const growing = route.config?.access === 'tenant' && route.config.permission?.endsWith(':write') && methods.some((method) => GROWING_METHODS.has(method))
    if (!growing) return
    addRouteHook(route, 'onRequest', (request: FastifyRequest, _reply: FastifyReply, done: Done) => {
      let pending: Promise<void> | undefined
      try {
        pending = quota.check(request)
      } catch (error) {
        return done(error as Error)
      }
      if (pending) pending.then(() => done(), done)
      else done()
    }, 'last')
  })
}

/** After access and the rate limits: the tenant is known, and a refused write still counted. */
export const storageQuota = fp(storageQuotaPlugin, { name: 'tenantry-storage-quota', dependencies: ['tenantry-access'] })
