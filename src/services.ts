import type { Redis } from 'ioredis'
import { InvalidationBus } from './cache/invalidation-bus.ts'
import type { Config } from './config/index.ts'
import type { Database } from './db/index.ts'
import { Authenticator } from './modules/access/principal.ts'
import { ApiKeysService } from './modules/api-keys/index.ts'
import { AuditService } from './modules/audit/index.ts'
import { ForecastsService } from './modules/forecasts/index.ts'
import { InventoryService } from './modules/inventory/index.ts'
import { OrdersService } from './modules/orders/index.ts'
import { ReportsService } from './modules/reports/index.ts'
import { RbacService } from './modules/rbac/index.ts'
import { TenantDirectory } from './modules/access/tenant-directory.ts'
import { AuthService } from './modules/auth/auth.service.ts'
import { LoginThrottle, MemoryThrottleStore, RedisThrottleStore } from './modules/auth/login-throttle.ts'
import { warmUpPasswordHashing } from './modules/auth/passwords.ts'
import { signingKeysFrom, TokenService } from './modules/auth/tokens.ts'
import { ConfigService, masterKeysOf } from './modules/config/index.ts'
import { loadPlanCatalog, usePlanCatalog } from './modules/plans/index.ts'
import { MembersService } from './modules/members/members.service.ts'
import { UserErasureService } from './modules/users/index.ts'
import { TenantsService } from './modules/tenants/tenants.service.ts'
import { defaultResolveTxt, DomainsService, type ResolveTxt } from './modules/tenants/index.ts'
import { WebhookDeliveriesService, WebhooksService } from './modules/webhooks/index.ts'
import { createDispatcher, type WebhookDispatcher } from './modules/webhooks/dispatcher/index.ts'
import { StorageQuota, TenantHealthService, UsageMeter, UsageService } from './modules/usage/index.ts'
import { ExportService, ImportService } from './modules/export/index.ts'
import { Scheduler, standardJobs } from './modules/scheduler/index.ts'
import { RequestLimiter } from './modules/rate-limits/index.ts'
import { createLogger, type Logger } from './observability/logger.ts'
import { SecurityLog } from './observability/security-log.ts'

/** Everything the routes call, wired once per app from the config, the database and Redis. */
export interface Services {
  bus: InvalidationBus
  /** The security event stream (D32), for what the HTTP layer itself refuses. */
  security: SecurityLog
  /** Custom domains and their DNS proof of ownership. */
  domains: DomainsService
  directory: TenantDirectory
  tokens: TokenService
  authenticator: Authenticator
  tenants: TenantsService
  members: MembersService
  /** GDPR erasure of a user across every tenant (DESIGN §13, D56). */
  userErasure: UserErasureService
  auth: AuthService
  config: ConfigService
  rbac: RbacService
  apiKeys: ApiKeysService
  inventory: InventoryService
  orders: OrdersService
  reports: ReportsService
  forecasts: ForecastsService
  audit: AuditService
  webhooks: WebhooksService
  webhookDeliveries: WebhookDeliveriesService
  /** Sends webhook deliveries; buildApp starts it when WEBHOOK_DISPATCHER_ENABLED. */
  dispatcher: WebhookDispatcher
  /** This instance's usage counts: count() is O(1) with no I/O; flushed on a timer and at close. */
  usage: UsageMeter
  usageReports: UsageService
  /** Tenant exports (DESIGN §13): streamed, secrets left out. */
  exports: ExportService
  /** Tenant import into an empty tenant (DESIGN §13, D57): platform only. */
  imports: ImportService
  tenantHealth: TenantHealthService
  /** Scheduled jobs (retention, purges, snapshots); buildApp starts it when SCHEDULER_ENABLED. */
  scheduler: Scheduler
  /** Per-tenant rate limits and daily request quotas (shared through Redis when present). */
  rateLimits: RequestLimiter
  /** max_storage_bytes against the latest storage estimate: refuses writes that add data while over it. */
  storageQuota: StorageQuota
}

export function createServices(deps: { config: Config; db: Database; redis?: Redis; logger?: Logger; resolveTxt?: ResolveTxt }): Services {
  const { config, db, redis } = deps
  // The plans are the operator's configuration, one catalogue per process (read again here so a
  // test's or a worker's services use the file their config names).
  usePlanCatalog(loadPlanCatalog(config.PLANS_FILE))
  void warmUpPasswordHashing()
  const bus = new InvalidationBus(redis, deps.logger)
  const security = new SecurityLog(deps.logger)
  const directory = new TenantDirectory(db, bus)
  const tokens = new TokenService(signingKeysFrom(config))
  const apiKeys = new ApiKeysService(db, bus, deps.logger)
  const authenticator = new Authenticator(config.SUPER_ADMIN_KEY, tokens, directory, apiKeys)
  const tenants = new TenantsService(db, bus, security, config)
  const members = new MembersService(db, bus)
  const throttle = new LoginThrottle(redis ? new RedisThrottleStore(redis) : new MemoryThrottleStore())
  const auth = new AuthService({ config, db, tokens, directory, throttle, tenants, bus, security })
  const configuration = new ConfigService(db, masterKeysOf(config))
  const rbac = new RbacService(db, bus, config, security)
  const inventory = new InventoryService(db)
  const orders = new OrdersService(db)
  const reports = new ReportsService(db)
  const forecasts = new ForecastsService(db)
  const audit = new AuditService(db, { retentionDays: config.AUDIT_RETENTION_DAYS })
  const webhooks = new WebhooksService(db, config)
  const webhookDeliveries = new WebhookDeliveriesService(db)
  const dispatcher = createDispatcher(config, { db, webhooks, logger: deps.logger ?? createLogger(config), onDelivered: (tenantId) => usage.count(tenantId, 'webhook_deliveries') })
  const rateLimits = new RequestLimiter({ redis, logger: deps.logger })
  const usage = new UsageMeter({ write: UsageService.writer(db), flushIntervalMs: config.USAGE_FLUSH_INTERVAL_MS, logger: deps.logger })
  const usageReports = new UsageService(db, usage)
  const tenantHealth = new TenantHealthService(db, usageReports, redis)
  const scheduler = new Scheduler({ db, logger: deps.logger })
  for (const job of standardJobs({ config, db, audit, tenants, forecasts, usage: usageReports })) scheduler.register(job)
  return { bus, security, domains: new DomainsService(db, bus, deps.resolveTxt ?? defaultResolveTxt), directory, tokens, authenticator, tenants, members, userErasure: new UserErasureService(db, members, bus, security), auth, config: configuration, rbac, apiKeys, inventory, orders, reports, forecasts, audit, webhooks, webhookDeliveries, dispatcher, rateLimits, usage, usageReports, exports: new ExportService(db), imports: new ImportService(db, { tenants, webhooks, bus }), tenantHealth, storageQuota: new StorageQuota(db, bus), scheduler }
}
