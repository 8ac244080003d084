// The jobs every Tenantry process schedules (the usage flush is not one of them: each instance
// flushes its own in-memory counts on its own timer, see the usage module). Times are UTC and
// spread out so the nightly ones do not start together.
import type { Config } from '../../config/index.ts'
import { withTenant, type Database } from '../../db/index.ts'
import type { AuditService } from '../audit/index.ts'
import type { ForecastsService } from '../forecasts/index.ts'
import type { TenantsService } from '../tenants/tenants.service.ts'
import { utcDay, type UsageService } from '../usage/index.ts'
import type { ScheduledJob } from './scheduler.ts'
import { deleteFinishedDeliveries, RETENTION_BATCH } from '../webhooks/index.ts'

export interface StandardJobDeps {
  config: Pick<Config, 'WEBHOOK_DELIVERY_RETENTION_DAYS' | 'USAGE_RETENTION_DAYS'>
  db: Database
  audit: AuditService
  tenants: TenantsService
  forecasts: ForecastsService
  usage: UsageService
}

const DAY_MS = 86_400_000
// Tenants whose logs exist: a deleted tenant keeps its logs (and their retention) until purged.
const WITH_LOGS = ['active', 'suspended', 'deleted']

export function standardJobs(deps: StandardJobDeps): ScheduledJob[] {
  return [
    {
      // Hourly: the day's figure is at most an hour old; each tenant costs one transaction (two
      // counts and a bounded sample per table, see usage.repository.ts).
      name: 'usage-snapshot',
      schedule: '7 * * * *',
      async run({ eachTenant }) {
        const result = await eachTenant(async (tenantId) => {
          await deps.usage.snapshot(tenantId)
        })
        return { tenants: result.succeeded }
      },
    },
    {
      name: 'audit-retention',
      schedule: '30 3 * * *',
      async run({ eachTenant }) {
        let removed = 0
        await eachTenant(async (tenantId) => {
          removed += (await deps.audit.purgeExpired(tenantId)).removed
        }, { statuses: WITH_LOGS })
        return { removed }
      },
    },
    {
      name: 'webhook-delivery-retention',
      schedule: '45 3 * * *',
      async run({ eachTenant, signal }) {
        const before = new Date(Date.now() - deps.config.WEBHOOK_DELIVERY_RETENTION_DAYS * DAY_MS)
        let removed = 0
        await eachTenant(async () => {
          for (let batch = RETENTION_BATCH; batch === RETENTION_BATCH && !signal.aborted; ) {
            batch = await withTenant(deps.db, (tx) => deleteFinishedDeliveries(tx, before))
            removed += batch
          }
        }, { statuses: WITH_LOGS })
        return { removed, before: before.toISOString() }
      },
    },
    {
      // Daily usage is billing history: kept well past the 90 days a report shows (400 by
      // default, a year and a month), then deleted like the logs above.
      name: 'usage-retention',
      schedule: '55 3 * * *',
      async run({ eachTenant }) {
        const before = utcDay(Date.now() - deps.config.USAGE_RETENTION_DAYS * DAY_MS)
        let removed = 0
        await eachTenant(async (tenantId) => {
          removed += await deps.usage.purgeBefore(tenantId, before)
        }, { statuses: WITH_LOGS })
        return { removed, before }
      },
    },
    {
      // DESIGN §13: soft deletion is reversible for the retention period, then the tenant is
      // purged — every row of every tenant table, children first, one transaction, in the
      // platform audit log as tenant.purged (reason retention).
      name: 'tenant-purge',
      schedule: '15 4 * * *',
      async run({ eachTenant }) {
        let purged = 0
        await eachTenant(async (tenantId) => {
          if (await deps.tenants.purgeIfExpired(tenantId)) purged += 1
        }, { statuses: ['deleted'] })
        return { purged }
      },
    },
    {
      // Stored forecasts (and forecast.updated events) for every active tenant's items.
      name: 'forecast-recompute',
      schedule: '0 2 * * *',
      async run({ eachTenant }) {
        let recomputed = 0
        await eachTenant(async () => {
          recomputed += (await deps.forecasts.recompute({})).recomputed
        }, { statuses: ['active'] })
        return { recomputed }
      },
    },
  ]
}
