import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config/index.ts'
import type { Database } from './db/index.ts'
import { frameworkErrorHandler, registerErrorHandling } from './http/error-handler.ts'
import { registerExternalPlugins } from './http/plugins.ts'
import { registerHostCheck } from './http/allowed-hosts.ts'
import { registerBodyRules } from './http/request-body.ts'
import { requestTimeouts } from './http/request-timeouts.ts'
import requestContext from './http/request-context.plugin.ts'
import { generateRequestId } from './http/request-id.ts'
import { healthRoutes } from './observability/health.routes.ts'
import httpObserver, { observeUnroutedRequest, RequestLogController } from './observability/http-observer.plugin.ts'
import { metricsRoutes } from './observability/metrics.routes.ts'
import type { Logger } from './observability/logger.ts'
import { createLogger } from './observability/logger.ts'
import { lazyRequestLogger } from './observability/request-logger.ts'
import { version } from './version.ts'
import type { Redis } from 'ioredis'
import access from './modules/access/access.plugin.ts'
import { authRoutes } from './modules/auth/auth.routes.ts'
import { configRoutes } from './modules/config/index.ts'
import { apiKeysRoutes } from './modules/api-keys/index.ts'
import { auditRoutes } from './modules/audit/index.ts'
import { inventoryRoutes } from './modules/inventory/index.ts'
import { ordersRoutes } from './modules/orders/index.ts'
import { reportsRoutes } from './modules/reports/index.ts'
import { forecastsRoutes } from './modules/forecasts/index.ts'
import { rbacRoutes } from './modules/rbac/index.ts'
import { webhooksRoutes } from './modules/webhooks/index.ts'
import { webhooksHealth } from './modules/webhooks/dispatcher/index.ts'
import { addUsageHook, storageQuota, usageRoutes } from './modules/usage/index.ts'
import { exportRoutes } from './modules/export/index.ts'
import { RateLimitGate, rateLimits } from './modules/rate-limits/index.ts'
import { membersRoutes } from './modules/members/members.routes.ts'
import { usersRoutes } from './modules/users/index.ts'
import { consoleRoutes } from './console/console.routes.ts'
import { currentTenantRoutes, tenantsRoutes } from './modules/tenants/tenants.routes.ts'
import { domainsRoutes } from './modules/tenants/index.ts'
import { createServices, type Services } from './services.ts'

export interface AppDeps {
  config: Config
  db: Database
  redis?: Redis
  /** Prebuilt services (tests share them with the app); built from the rest when absent. */
  services?: Services
  logger?: Logger
  /** Shutdown flips this so /health/ready answers 503 while connections drain. */
  isShuttingDown?: () => boolean
}

export type App = FastifyInstance

/** Builds the HTTP app: external plugins → app plugins → routes. Never listens (see main.ts). */
export async function buildApp(deps: AppDeps): Promise<App> {
  const { config } = deps
  // One logger for the app and the services it builds (their security events included).
  const logger = deps.logger ?? createLogger(config)
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    genReqId: generateRequestId,
    // request.log becomes a pino child only when the request writes a line (request-logger.ts).
    childLoggerFactory: lazyRequestLogger,
    logController: new RequestLogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    ...requestTimeouts(config.REQUEST_TIMEOUT_MS),
    // CAUTION: X-Forwarded-For decides request.ip (per-address limits, login throttling, audit
    // ip) only when the connection comes from a proxy listed here: anyone who can connect from
    // a trusted address can claim any client address (TRUST_PROXY, D64).
    trustProxy: config.TRUST_PROXY,
    return503OnClosing: true,
    // Path parameters such as configuration keys (128 characters) must reach schema validation.
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: (error, request, reply) => {
      observeUnroutedRequest(request, reply)
      frameworkErrorHandler(error, request, reply)
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id)
    done()
  })
  const services = deps.services ?? createServices({ config, db: deps.db, redis: deps.redis, logger })
  if (config.ALLOWED_HOSTS) {
    const directory = services.directory
    const isCustomDomain = config.TENANT_CUSTOM_DOMAINS_ENABLED ? (host: string) => customDomainKnown(directory, host) : undefined
    registerHostCheck(app, config.ALLOWED_HOSTS, isCustomDomain)
  }
  registerErrorHandling(app)
  registerBodyRules(app)
  // Before any route: it attaches its per-route hook as routes register.
  await app.register(httpObserver)
  await registerExternalPlugins(app, config, version)
  await app.register(requestContext)

  await services.bus.start()
  // Usage counting on every tenant-scoped response (in memory), flushed on a timer; scheduled jobs
  // when enabled. At close: running jobs finish their current tenant, then the last counts flush.
  addUsageHook(app, services.usage)
  services.usage.start(logger)
  if (config.SCHEDULER_ENABLED) services.scheduler.start(logger)
  app.addHook('onClose', async () => {
    await services.scheduler.stop()
    await services.usage.stop()
  })
  // Pending last_used_at writes of API keys finish before the bus and the pool go.
  app.addHook('onClose', async () => {
    await services.apiKeys.flush()
    await services.bus.stop()
  })
  // One gate for both sides of access control: admitted requests meet their limits after it (it
  // needs the tenant and the caller), refused ones before the refusal is recorded or answered (D64).
  const gate = new RateLimitGate({ config, limiter: services.rateLimits })
  await app.register(access, {
    config,
    authenticator: services.authenticator,
    directory: services.directory,
    onDenied: (request, tenant, permission) => services.rbac.onDenied(request, tenant, permission),
    limitRefusal: gate.refused,
    security: services.security,
  })
  // After access, before any route registers.
  await app.register(rateLimits, { gate })
  await app.register(storageQuota, { quota: services.storageQuota })

  // The dispatcher sends webhooks from this process (or from `tenantry worker` when disabled here).
  if (config.WEBHOOK_DISPATCHER_ENABLED) {
    app.addHook('onReady', () => services.dispatcher.start())
    app.addHook('onClose', () => services.dispatcher.stop())
  }
  const webhooks = () => webhooksHealth(services.dispatcher, config.WEBHOOK_DISPATCHER_ENABLED)
  await app.register(healthRoutes, { db: deps.db, redis: deps.redis, version, webhooks, isShuttingDown: deps.isShuttingDown ?? (() => false) })
  if (config.PROMETHEUS_METRICS_ENABLED) await app.register(metricsRoutes, { db: deps.db, tenantLabelLimit: config.METRICS_TENANT_LABEL_LIMIT, token: config.METRICS_TOKEN })
  await app.register(tenantsRoutes, { tenants: services.tenants })
  await app.register(currentTenantRoutes, { tenants: services.tenants })
  await app.register(domainsRoutes, { domains: services.domains })
  await app.register(authRoutes, { auth: services.auth })
  await app.register(membersRoutes, { members: services.members })
  await app.register(usersRoutes, { erasure: services.userErasure })
  await app.register(configRoutes, { config: services.config })
  // One line per module; each module's routes take the service container.
  await app.register(rbacRoutes, { services })
  await app.register(apiKeysRoutes, { services })
  await app.register(auditRoutes, { services })
  await app.register(inventoryRoutes, { services })
  await app.register(ordersRoutes, { services })
  await app.register(reportsRoutes, { services })
  await app.register(forecastsRoutes, { services })
  await app.register(webhooksRoutes, { services })
  await app.register(usageRoutes, { services })
  await app.register(exportRoutes, { services })
  await app.register(consoleRoutes)
  return app as unknown as App
}

/** A verified custom domain, from the directory's cache when it has the host (no promise then). */
function customDomainKnown(directory: Services['directory'], host: string): boolean | Promise<boolean> {
  const cached = directory.peekDomain(host)
  if (cached !== undefined) return cached !== null
  return directory.tenantIdByDomain(host).then((id) => id !== undefined)
}
