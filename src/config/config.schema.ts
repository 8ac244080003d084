// Every environment variable Tenantry reads, in one table: its parser, its default and a
// one-line description. load-config.ts parses against this table; .env.example is checked
// against it by a test, so the two cannot drift apart.
import * as p from './parsers.ts'

export type NodeEnv = 'development' | 'test' | 'production'

interface VarSpec<T> {
  parse: p.Parser<T>
  /** Raw default (run through `parse`), possibly depending on NODE_ENV; undefined = unset. */
  default?: string | ((nodeEnv: NodeEnv) => string | undefined)
  doc: string
  /** Older names accepted for the same setting. */
  aliases?: string[]
  /** Never printed (config dumps, errors show only the name). */
  secret?: boolean
}

const withDefault = <T>(spec: VarSpec<T> & { default: NonNullable<VarSpec<T>['default']> }) => ({ ...spec, required: true as const })
const optional = <T>(spec: VarSpec<T>) => ({ ...spec, required: false as const })

const inProduction = (yes: string, no: string) => (env: NodeEnv) => (env === 'production' ? yes : no)

export const configSchema = {
  NODE_ENV: withDefault({ parse: p.oneOf('development', 'test', 'production'), default: 'development', doc: 'development | test | production (production refuses weak secrets)' }),
  PORT: withDefault({ parse: p.integer(0, 65535), default: '3001', doc: 'HTTP port' }),
  HOST: withDefault({ parse: p.text, default: '0.0.0.0', doc: 'interface to listen on' }),
  TRUST_PROXY: withDefault({ parse: p.trustProxy, default: 'loopback', doc: 'proxies whose X-Forwarded-For sets the client address: comma-separated addresses, CIDRs, loopback|linklocal|uniquelocal; true (any) or false (none)' }),
  DATA_DIR: withDefault({ parse: p.text, default: './data', doc: 'where the embedded database and the generated dev SUPER_ADMIN_KEY live' }),
  DATABASE_URL: optional({ parse: p.databaseUrl, doc: 'PostgreSQL URL of the schema owner (runs migrations); unset = embedded PGlite in DATA_DIR; memory:// for tests', secret: true }),
  DATABASE_APP_URL: optional({ parse: p.databaseUrl, doc: 'optional URL that logs in as DATABASE_APP_ROLE for request traffic (saves a SET ROLE per transaction)', secret: true }),
  DATABASE_APP_ROLE: withDefault({ parse: p.sqlIdentifier, default: 'tenantry_app', doc: 'request-traffic role: not superuser, NOBYPASSRLS, owns nothing (created by migrations)' }),
  DATABASE_POOL_MAX: withDefault({ parse: p.integer(1, 1000), default: '20', doc: 'connections per PostgreSQL pool' }),
  JWT_SECRET: optional({ parse: p.text, doc: 'HS256 signing secret, at least 32 characters (required in production)', secret: true }),
  JWT_PRIVATE_KEY: optional({ parse: p.pem('PRIVATE KEY'), doc: 'Ed25519 private key (PKCS#8 PEM, \\n for newlines) to sign tokens with EdDSA instead of HS256; needs JWT_PUBLIC_KEY', secret: true }),
  JWT_PUBLIC_KEY: optional({ parse: p.pem('PUBLIC KEY'), doc: 'Ed25519 public key (SPKI PEM) that verifies tokens signed with JWT_PRIVATE_KEY' }),
  JWT_EXPIRY: withDefault({ parse: p.duration, default: '24h', doc: 'token lifetime (capped by the tenant session timeout)' }),
  SUPER_ADMIN_KEY: optional({ parse: p.text, doc: 'platform operator key (Bearer); generated into DATA_DIR on first dev start', secret: true }),
  PLATFORM_ADMIN_EMAIL: optional({ parse: p.email, doc: 'on start, make sure this user exists as a platform admin (created with PLATFORM_ADMIN_PASSWORD)' }),
  PLATFORM_ADMIN_PASSWORD: optional({ parse: p.text, doc: 'password for PLATFORM_ADMIN_EMAIL when it is created (never changes an existing one)', secret: true }),
  REQUIRE_TENANT: withDefault({ parse: p.boolean, default: inProduction('true', 'false'), aliases: ['TENANT_ISOLATION_STRICT'], doc: 'a tenant-scoped request without a tenant is 403 tenant_required (true in production)' }),
  ALLOW_DEFAULT_TENANT: withDefault({ parse: p.boolean, default: inProduction('false', 'true'), doc: 'fall back to the default tenant when none is named (never with REQUIRE_TENANT in production)' }),
  DEFAULT_TENANT_ID: withDefault({ parse: p.uuid, default: '00000000-0000-4000-8000-000000000001', doc: 'id of the seeded default tenant' }),
  TENANT_HEADER: withDefault({ parse: p.text, default: 'X-Tenant-ID', doc: 'header that names the tenant (uuid or slug)' }),
  TENANT_SUBDOMAIN_ENABLED: withDefault({ parse: p.boolean, default: 'false', doc: 'resolve the tenant from <label>.BASE_DOMAIN (its settings.subdomain, else its slug)' }),
  BASE_DOMAIN: optional({ parse: p.text, doc: 'base domain for subdomain resolution, e.g. tenantry.example.com' }),
  TENANT_QUERY_PARAM_ENABLED: withDefault({ parse: p.boolean, default: 'false', doc: 'resolve the tenant from ?tenant=' }),
  TENANT_CUSTOM_DOMAINS_ENABLED: withDefault({ parse: p.boolean, default: 'false', doc: "resolve the tenant from the Host when it is one of a tenant's verified custom domains (settings.domains, DNS TXT proof)" }),
  ALLOWED_HOSTS: optional({ parse: p.hostAllowList, doc: 'Host headers served, comma-separated: example.com, .example.com (it and its subdomains), * (any); others get 400 host_not_allowed; verified custom domains are allowed; unset = any' }),
  SIGNUP_ENABLED: withDefault({ parse: p.boolean, default: 'false', doc: 'allow POST /api/v1/auth/register-organization' }),
  RBAC_AUDIT_LOGGING: withDefault({ parse: p.boolean, default: 'true', doc: 'write permission decisions (denials) to rbac_audit_log' }),
  RBAC_METRICS_ENABLED: withDefault({ parse: p.boolean, default: 'true', doc: 'count denials in rbac_denied_total' }),
  WEBHOOK_DISPATCHER_ENABLED: withDefault({ parse: p.boolean, default: 'true', doc: 'run the webhook dispatcher inside the server process' }),
  WEBHOOK_RETRY_DELAYS: withDefault({ parse: p.integerList(0, 86_400_000), default: '1000,5000,25000', doc: 'milliseconds before each retry, comma-separated' }),
  WEBHOOK_MAX_RETRIES: withDefault({ parse: p.integer(0, 100), default: '3', doc: 'retries after the first attempt before dead-lettering' }),
  // The upper bound is the endpoints' (MAX_WEBHOOK_TIMEOUT_MS, modules/webhooks/webhook-timeout.ts).
  WEBHOOK_TIMEOUT_MS: withDefault({ parse: p.integer(100, 60_000), default: '30000', doc: 'per-attempt timeout of new endpoints (at most 60000)' }),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: withDefault({ parse: p.boolean, default: inProduction('false', 'true'), doc: 'allow webhook URLs on private/loopback addresses (false in production)' }),
  WEBHOOK_CONCURRENCY: withDefault({ parse: p.integer(1, 10_000), default: '64', doc: 'webhook attempts in flight per dispatcher' }),
  WEBHOOK_ENDPOINT_CONCURRENCY: withDefault({ parse: p.integer(1, 1000), default: '8', doc: 'webhook attempts in flight per endpoint per dispatcher (and keep-alive connections per receiver)' }),
  WEBHOOK_LEASE_MS: withDefault({ parse: p.integer(1000, 3_600_000), default: '60000', doc: 'how long a claimed delivery stays with its dispatcher before another may take it (plus the endpoint timeout)' }),
  WEBHOOK_STALL_AFTER_MS: withDefault({ parse: p.integer(1000, 3_600_000), default: '120000', doc: '/health reports the dispatcher stalled when deliveries have been due this long and none of its attempts ended meanwhile' }),
  WEBHOOK_DISABLE_AFTER: withDefault({ parse: p.durationOrZero, default: '3d', doc: 'disable an endpoint that has failed without a success for this long (0 = never; 410 Gone disables at once)' }),
  REDIS_URL: optional({ parse: p.text, doc: 'redis://host:port; unset = caches, limits and signals stay in-process (the seeds\' REDIS_HOST, REDIS_PORT, REDIS_PASSWORD make one when it is unset)', secret: true }),
  PROMETHEUS_METRICS_ENABLED: withDefault({ parse: p.boolean, default: 'true', aliases: ['ENABLE_METRICS'], doc: 'serve GET /metrics' }),
  METRICS_TENANT_LABEL_LIMIT: withDefault({ parse: p.integer(0, 10_000), default: '100', doc: 'tenants labelled by id in tenant_requests_total (the busiest); the rest are "other"' }),
  METRICS_TOKEN: optional({ parse: p.text, doc: 'when set, GET /metrics needs Authorization: Bearer <this token>', secret: true }),
  CORS_ORIGIN: withDefault({ parse: p.corsOrigin, default: inProduction('false', '*'), aliases: ['ALLOWED_ORIGINS'], doc: 'allowed browser origins: comma-separated list, * or false' }),
  RATE_LIMIT_WINDOW_MS: withDefault({ parse: p.integer(1000, 86_400_000), default: '60000', doc: 'rate-limit window' }),
  RATE_LIMIT_MAX_REQUESTS: withDefault({ parse: p.integer(1, 10_000_000), default: '1000', doc: 'requests per window per caller without a tenant plan (operators, anonymous callers by address); tenants follow their plan' }),
  RATE_LIMIT_MULTIPLIER: withDefault({ parse: p.integer(1, 1_000_000), default: '1', doc: 'multiplies every request limit (plan rates, daily quotas, the fallback); 1 in production, raised by test suites and load tests' }),
  MASTER_KEY: optional({ parse: p.base64Key32, doc: '32 bytes base64; wraps per-tenant data keys of encrypted configuration', secret: true }),
  MASTER_KEY_PREVIOUS: optional({ parse: p.base64Key32, doc: 'during a master key rotation only: the key being replaced (data keys still wrapped by it open until tenantry keys rotate-master has run)', secret: true }),
  PLANS_FILE: optional({ parse: p.text, doc: 'JSON file of the plans (limits, features, password policy, session timeout), validated at start; unset = the shipped catalogue (src/modules/plans/default-plans.json)' }),
  AUDIT_RETENTION_DAYS: withDefault({ parse: p.integer(90, 36_500), default: '365', doc: 'days audit entries are kept (never below 90)' }),
  USAGE_FLUSH_INTERVAL_MS: withDefault({ parse: p.integer(100, 3_600_000), default: '5000', doc: 'how often each instance writes its in-memory usage counts to usage_daily' }),
  USAGE_RETENTION_DAYS: withDefault({ parse: p.integer(90, 36_500), default: '400', doc: 'days of daily usage (usage_daily) kept; never below 90, the longest usage report' }),
  WEBHOOK_DELIVERY_RETENTION_DAYS: withDefault({ parse: p.integer(1, 36_500), default: '30', doc: 'days delivered and dead-lettered webhook deliveries are kept' }),
  SCHEDULER_ENABLED: withDefault({ parse: p.boolean, default: (env) => (env === 'test' ? 'false' : 'true'), doc: 'run scheduled jobs (retention, purges, snapshots) in this process (false under NODE_ENV=test)' }),
  REQUEST_TIMEOUT_MS: withDefault({ parse: p.integer(100, 3_600_000), default: '30000', doc: 'longest a client may take to send a request, headers and body (408 and the connection closed after); streamed answers such as exports are not limited by it' }),
  BODY_LIMIT_BYTES: withDefault({ parse: p.integer(1024, 100 * 1024 * 1024), default: '1048576', doc: 'largest accepted request body' }),
  LOG_LEVEL: withDefault({ parse: p.oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), default: inProduction('info', 'info'), doc: 'pino log level' }),
  LOG_FORMAT: withDefault({ parse: p.oneOf('json', 'pretty'), default: 'json', doc: 'json (default) or pretty for humans' }),
} as const

type Schema = typeof configSchema
type ValueOf<S> = S extends { parse: p.Parser<infer T>; required: true } ? T : S extends { parse: p.Parser<infer T> } ? T | undefined : never

/** The parsed, frozen configuration. Keys are the environment variable names. */
export type Config = { readonly [K in keyof Schema]: ValueOf<Schema[K]> }
