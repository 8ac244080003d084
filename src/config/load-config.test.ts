import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { configSchema } from './config.schema.ts'
import { ConfigError, loadConfig } from './load-config.ts'

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

const STRONG = {
  NODE_ENV: 'production',
  JWT_SECRET: 'x'.repeat(32),
  SUPER_ADMIN_KEY: 'k'.repeat(40),
  REQUIRE_TENANT: 'true',
  ALLOW_DEFAULT_TENANT: 'false',
}

describe('loadConfig', () => {
  it('gives every documented default in development', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3001,
      DATA_DIR: './data',
      DATABASE_APP_ROLE: 'tenantry_app',
      JWT_EXPIRY: '24h',
      TENANT_HEADER: 'X-Tenant-ID',
      WEBHOOK_RETRY_DELAYS: [1000, 5000, 25000],
      WEBHOOK_MAX_RETRIES: 3,
      WEBHOOK_TIMEOUT_MS: 30000,
      WEBHOOK_STALL_AFTER_MS: 120000,
      AUDIT_RETENTION_DAYS: 365,
      BODY_LIMIT_BYTES: 1048576,
      REQUEST_TIMEOUT_MS: 30000,
      REQUIRE_TENANT: false,
    })
    expect(config.DATABASE_URL).toBeUndefined()
  })

  it('is frozen', () => {
    const config = loadConfig({})
    expect(Object.isFrozen(config)).toBe(true)
    expect(() => {
      ;(config as { PORT: number }).PORT = 1
    }).toThrow()
  })

  it('reports every bad variable, one line each, naming it and what is expected', () => {
    expect(
      problemsOf({ PORT: 'eighty', REQUIRE_TENANT: 'maybe', WEBHOOK_RETRY_DELAYS: '1000,,3', DATABASE_URL: 'mysql://x', AUDIT_RETENTION_DAYS: '30', DATABASE_APP_ROLE: 'app; drop table x', MASTER_KEY: 'c2hvcnQ=' }),
    ).toEqual([
      'PORT: expected an integer between 0 and 65535',
      'DATABASE_URL: expected postgres://user@host:port/database or memory://',
      'DATABASE_APP_ROLE: expected a lowercase SQL identifier (letters, digits, underscore; at most 63)',
      'REQUIRE_TENANT: expected true or false',
      'WEBHOOK_RETRY_DELAYS: expected a comma-separated list of integers between 0 and 86400000',
      'MASTER_KEY: expected 32 bytes encoded as base64 (openssl rand -base64 32)',
      'AUDIT_RETENTION_DAYS: expected an integer between 90 and 36500',
    ])
  })

  it('keeps webhook timeouts within a minute (D63)', () => {
    expect(problemsOf({ WEBHOOK_TIMEOUT_MS: '60001' })).toEqual(['WEBHOOK_TIMEOUT_MS: expected an integer between 100 and 60000'])
    expect(loadConfig({ WEBHOOK_TIMEOUT_MS: '60000' }).WEBHOOK_TIMEOUT_MS).toBe(60_000)
    expect(problemsOf({ WEBHOOK_STALL_AFTER_MS: '999' })).toEqual(['WEBHOOK_STALL_AFTER_MS: expected an integer between 1000 and 3600000'])
  })

  it('accepts TENANT_ISOLATION_STRICT as an alias of REQUIRE_TENANT', () => {
    expect(loadConfig({ TENANT_ISOLATION_STRICT: 'true' }).REQUIRE_TENANT).toBe(true)
  })

  it('parses a 32-byte base64 master key and CORS origins', () => {
    const key = Buffer.alloc(32, 7).toString('base64')
    const config = loadConfig({ MASTER_KEY: key, CORS_ORIGIN: 'https://a.example.com,https://b.example.com' })
    expect(config.MASTER_KEY).toEqual(Buffer.alloc(32, 7))
    expect(config.CORS_ORIGIN).toEqual(['https://a.example.com', 'https://b.example.com'])
    expect(problemsOf({ CORS_ORIGIN: 'https://a.example.com/path' })).toHaveLength(1)
  })
})

describe('ALLOWED_HOSTS and TENANT_CUSTOM_DOMAINS_ENABLED', () => {
  it('are off by default (any host; no custom domain routes)', () => {
    expect(loadConfig({}).ALLOWED_HOSTS).toBeUndefined()
    expect(loadConfig({}).TENANT_CUSTOM_DOMAINS_ENABLED).toBe(false)
  })

  it('takes host names, .domain entries, addresses and *, lowercased', () => {
    expect(loadConfig({ ALLOWED_HOSTS: 'API.example.com, .tenantry.io,127.0.0.1,*' }).ALLOWED_HOSTS).toEqual(['api.example.com', '.tenantry.io', '127.0.0.1', '*'])
  })

  it('refuses what is no host name, naming it', () => {
    for (const raw of ['https://example.com', 'example.com:8080', 'a b', ',', '*.example.com']) {
      const problems = problemsOf({ ALLOWED_HOSTS: raw })
      expect(problems, raw).toHaveLength(1)
      expect(problems[0]).toMatch(/^ALLOWED_HOSTS: /)
    }
  })
})

describe('TRUST_PROXY', () => {
  it('trusts only loopback by default, in production too (not the private ranges)', () => {
    expect(loadConfig({}).TRUST_PROXY).toEqual(['loopback'])
    expect(loadConfig(STRONG).TRUST_PROXY).toEqual(['loopback'])
  })

  it('takes true, false, or a list of addresses, CIDR blocks and range names', () => {
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false)
    expect(loadConfig({ TRUST_PROXY: 'TRUE' }).TRUST_PROXY).toBe(true)
    expect(loadConfig({ TRUST_PROXY: ' 10.0.3.7, 10.0.4.0/24,2001:DB8::/64 , loopback,uniquelocal' }).TRUST_PROXY).toEqual(['10.0.3.7', '10.0.4.0/24', '2001:db8::/64', 'loopback', 'uniquelocal'])
  })

  it.each(['10.0.0.0/33', '10.0.0.0/255.0.0.0', 'lb.internal', '10.0.0', '1', 'loopback,', 'fe80::1%eth0', '::1/129', '10.0.0.0/8/8'])('refuses %j naming the entry and what is expected', (value) => {
    const bad = value.split(',').map((entry) => entry.trim()).find((entry) => entry !== 'loopback')
    expect(problemsOf({ TRUST_PROXY: value })).toEqual([
      `TRUST_PROXY: expected true, false, or a comma-separated list of proxy addresses, CIDR blocks (10.0.0.0/24) and the names loopback, linklocal, uniquelocal; not one of these: "${bad}"`,
    ])
  })
})

describe('production refusals', () => {
  it('starts with strong settings and strict defaults', () => {
    const config = loadConfig(STRONG)
    expect(config.REQUIRE_TENANT).toBe(true)
    expect(config.WEBHOOK_ALLOW_PRIVATE_TARGETS).toBe(false)
  })

  it('refuses a missing JWT_SECRET', () => {
    const { JWT_SECRET: _omit, ...env } = STRONG
    expect(problemsOf(env)).toEqual(['JWT_SECRET: must be set to at least 32 characters in production (openssl rand -base64 48)'])
  })

  it('refuses a JWT_SECRET shorter than 32 characters', () => {
    expect(problemsOf({ ...STRONG, JWT_SECRET: 'short-secret' })).toEqual(['JWT_SECRET: must be set to at least 32 characters in production (openssl rand -base64 48)'])
  })

  it('refuses a missing SUPER_ADMIN_KEY', () => {
    const { SUPER_ADMIN_KEY: _omit, ...env } = STRONG
    expect(problemsOf(env)).toEqual(['SUPER_ADMIN_KEY: must be set in production (openssl rand -hex 32)'])
  })

  it('refuses ALLOW_DEFAULT_TENANT with REQUIRE_TENANT', () => {
    expect(problemsOf({ ...STRONG, ALLOW_DEFAULT_TENANT: 'true' })).toEqual([
      'ALLOW_DEFAULT_TENANT: cannot be true together with REQUIRE_TENANT=true in production; set ALLOW_DEFAULT_TENANT=false',
    ])
  })

  it('lists every refusal at once', () => {
    expect(problemsOf({ NODE_ENV: 'production', ALLOW_DEFAULT_TENANT: 'true' })).toHaveLength(3)
  })
})

describe('.env.example', () => {
  it('lists every variable of the schema, each with a comment line, and nothing else', () => {
    const lines = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').split('\n')
    const listed = lines.map((line) => /^#?\s?([A-Z][A-Z0-9_]+)=/.exec(line)?.[1]).filter(Boolean)
    expect(listed).toEqual(Object.keys(configSchema))
    for (const name of Object.keys(configSchema)) {
      const index = lines.findIndex((line) => new RegExp(`^#?\\s?${name}=`).test(line))
      expect(lines[index - 1], name).toMatch(/^# \S/)
    }
  })
})

describe("the seed guides' variables (a copied seed .env)", () => {
  it('takes ALLOWED_ORIGINS for CORS_ORIGIN and ENABLE_METRICS for PROMETHEUS_METRICS_ENABLED', () => {
    const config = loadConfig({ ALLOWED_ORIGINS: 'https://app.example.com, https://admin.example.com', ENABLE_METRICS: 'false' })
    expect(config.CORS_ORIGIN).toEqual(['https://app.example.com', 'https://admin.example.com'])
    expect(config.PROMETHEUS_METRICS_ENABLED).toBe(false)
  })

  it('refuses a variable and its alias set to different values, naming both and never a value', () => {
    expect(problemsOf({ CORS_ORIGIN: 'https://a.example.com', ALLOWED_ORIGINS: 'https://b.example.com' })).toEqual([
      "CORS_ORIGIN, ALLOWED_ORIGINS: set to different values; CORS_ORIGIN is Tenantry's name, remove ALLOWED_ORIGINS",
    ])
    expect(problemsOf({ REQUIRE_TENANT: 'false', TENANT_ISOLATION_STRICT: 'true' })).toEqual([
      "REQUIRE_TENANT, TENANT_ISOLATION_STRICT: set to different values; REQUIRE_TENANT is Tenantry's name, remove TENANT_ISOLATION_STRICT",
    ])
    expect(loadConfig({ ENABLE_METRICS: 'true', PROMETHEUS_METRICS_ENABLED: 'true' }).PROMETHEUS_METRICS_ENABLED).toBe(true)
  })

  it('builds REDIS_URL from REDIS_HOST, REDIS_PORT and REDIS_PASSWORD when REDIS_URL is unset', () => {
    expect(loadConfig({ REDIS_HOST: 'cache.internal', REDIS_PORT: '6380', REDIS_PASSWORD: 'p@ss:w/rd' }).REDIS_URL).toBe('redis://:p%40ss%3Aw%2Frd@cache.internal:6380')
    expect(loadConfig({ REDIS_HOST: 'localhost' }).REDIS_URL).toBe('redis://localhost:6379')
    expect(loadConfig({ REDIS_PORT: '6379', REDIS_PASSWORD: '' }).REDIS_URL).toBe('redis://localhost:6379')
    expect(loadConfig({ REDIS_HOST: '::1' }).REDIS_URL).toBe('redis://[::1]:6379')
    expect(loadConfig({}).REDIS_URL).toBeUndefined()
  })

  it('takes REDIS_* next to a REDIS_URL that says the same, and refuses them when it does not (never printing the URL)', () => {
    expect(loadConfig({ REDIS_URL: 'redis://:secret@127.0.0.1:6379', REDIS_HOST: 'localhost', REDIS_PORT: '6379' }).REDIS_URL).toBe('redis://:secret@127.0.0.1:6379')
    const problems = problemsOf({ REDIS_URL: 'redis://:secret@127.0.0.1:6379', REDIS_HOST: 'cache.internal', REDIS_PASSWORD: 'other' })
    expect(problems).toEqual(['REDIS_HOST, REDIS_PASSWORD: disagree with REDIS_URL, which Tenantry reads; remove them or make them match'])
    expect(problemsOf({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PORT: '6380' })).toEqual(['REDIS_PORT: disagrees with REDIS_URL, which Tenantry reads; remove it or make it match'])
  })

  it('refuses a bad REDIS_HOST or REDIS_PORT naming REDIS_URL as the way out', () => {
    expect(problemsOf({ REDIS_HOST: 'user@host/x' })).toEqual(['REDIS_HOST: expected a host name or address; or set REDIS_URL=redis://host:port instead'])
    expect(problemsOf({ REDIS_PORT: '70000' })).toEqual(['REDIS_PORT: expected an integer between 1 and 65535; or set REDIS_URL=redis://host:port instead'])
  })

  it('takes DATABASE_TYPE=postgres(ql) as the no-op it is and refuses any other database', () => {
    expect(problemsOf({ DATABASE_TYPE: 'postgres' })).toEqual([])
    expect(problemsOf({ DATABASE_TYPE: 'PostgreSQL' })).toEqual([])
    expect(problemsOf({ DATABASE_TYPE: 'mysql' })).toEqual(['DATABASE_TYPE: Tenantry runs on PostgreSQL only (DATABASE_URL, or the embedded PGlite when unset); remove DATABASE_TYPE=mysql'])
  })

  it('refuses GLOBAL_DATABASE_URL naming DATABASE_URL, unless it is DATABASE_URL itself', () => {
    const url = 'postgres://owner@db.internal:5432/tenantry'
    const line = 'GLOBAL_DATABASE_URL: Tenantry keeps global and tenant tables in one database; set DATABASE_URL to it and remove GLOBAL_DATABASE_URL'
    expect(problemsOf({ GLOBAL_DATABASE_URL: url })).toEqual([line])
    expect(problemsOf({ GLOBAL_DATABASE_URL: url, DATABASE_URL: 'postgres://owner@other:5432/tenantry' })).toEqual([line])
    expect(problemsOf({ GLOBAL_DATABASE_URL: url, DATABASE_URL: url })).toEqual([])
  })
})
