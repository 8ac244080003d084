import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../config/index.ts'
import { configChecks } from './config-checks.ts'

const PRODUCTION = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://tenantry@db.internal:5432/tenantry?sslmode=verify-full',
  DATABASE_APP_URL: 'postgres://tenantry_app@db.internal:5432/tenantry?sslmode=verify-full',
  JWT_SECRET: 'x'.repeat(48),
  SUPER_ADMIN_KEY: 'k'.repeat(64),
  MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  REDIS_URL: 'redis://cache.internal:6379',
  METRICS_TOKEN: 'scrape-token',
}

/** The status of each check for the production configuration with some variables changed. */
const statuses = (changes: Record<string, string | undefined> = {}) => {
  const env = Object.fromEntries(Object.entries({ ...PRODUCTION, ...changes }).filter(([, value]) => value !== undefined)) as Record<string, string>
  return Object.fromEntries(configChecks(loadConfig(env)).map((check) => [check.id, check.status]))
}

describe('doctor: configuration checks', () => {
  it('passes every item of a production configuration', () => {
    expect(Object.values(statuses()).every((status) => status === 'pass')).toBe(true)
  })

  it.each([
    [{ CORS_ORIGIN: '*' }, 'cors', 'fail'],
    [{ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }, 'webhook-targets', 'fail'],
    [{ DATABASE_URL: 'memory://', DATABASE_APP_URL: undefined }, 'database', 'fail'],
    [{ DATABASE_URL: undefined, DATABASE_APP_URL: undefined }, 'database', 'warn'],
    [{ DATABASE_APP_URL: 'postgres://tenantry_app@db.internal:5432/tenantry' }, 'database-tls', 'warn'],
    [{ DATABASE_URL: 'postgres://tenantry@127.0.0.1:5432/tenantry', DATABASE_APP_URL: undefined }, 'database-tls', 'pass'],
    [{ DATABASE_APP_URL: undefined }, 'app-login', 'warn'],
    [{ METRICS_TOKEN: undefined }, 'metrics', 'warn'],
    [{ METRICS_TOKEN: undefined, PROMETHEUS_METRICS_ENABLED: 'false' }, 'metrics', 'pass'],
    [{ REDIS_URL: undefined }, 'redis', 'warn'],
    [{ MASTER_KEY: undefined }, 'master-key', 'warn'],
    [{ MASTER_KEY_PREVIOUS: Buffer.alloc(32, 9).toString('base64') }, 'master-key', 'warn'],
    [{ RATE_LIMIT_MULTIPLIER: '1000' }, 'rate-limits', 'warn'],
    [{ SIGNUP_ENABLED: 'true' }, 'signup', 'warn'],
    [{ TENANT_QUERY_PARAM_ENABLED: 'true' }, 'tenant-query-param', 'warn'],
    [{ LOG_LEVEL: 'debug' }, 'log-level', 'warn'],
    [{ TRUST_PROXY: 'true' }, 'trust-proxy', 'warn'],
    [{ TRUST_PROXY: 'loopback, linklocal, uniquelocal' }, 'trust-proxy', 'warn'],
    [{ TRUST_PROXY: '10.0.0.0/8' }, 'trust-proxy', 'warn'],
    [{ TRUST_PROXY: 'fd00::/8' }, 'trust-proxy', 'warn'],
    [{ TRUST_PROXY: '10.0.3.0/24, 10.0.4.17, 2001:db8:1:2::/64' }, 'trust-proxy', 'pass'],
    [{ TRUST_PROXY: 'false' }, 'trust-proxy', 'pass'],
  ] as const)('%o: %s is %s', (changes, id, status) => {
    expect(statuses(changes)[id]).toBe(status)
  })

  it('judges a development configuration as production would', () => {
    const dev = statuses({ NODE_ENV: 'development', JWT_SECRET: undefined, SUPER_ADMIN_KEY: undefined, CORS_ORIGIN: undefined, WEBHOOK_ALLOW_PRIVATE_TARGETS: undefined })
    expect(dev).toMatchObject({ 'node-env': 'warn', secrets: 'fail', cors: 'fail', 'webhook-targets': 'fail' })
    const lines = configChecks(loadConfig({ NODE_ENV: 'development' })).find((check) => check.id === 'secrets')!.details
    expect(lines).toEqual([expect.stringMatching(/^JWT_SECRET: /), expect.stringMatching(/^SUPER_ADMIN_KEY: /)])
  })
})
