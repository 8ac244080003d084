// Builds the webhook bench's database from scratch (Tenantry's migrations and seed), and its
// tenants through the real HTTP API of a running bench server: sign-up, a move to the `custom`
// plan (no rate limit, no daily quota, no item limit: the bench measures the outbox and the
// dispatcher, not the limiter), and the tenant's webhook endpoints pointing at the receiver.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { loadConfig } from '../../src/config/index.ts'
import { migrateUp, openDatabase } from '../../src/db/index.ts'
import { seed } from '../../src/db/seed.ts'
import { WEBHOOK_BENCH_DATABASE } from './settings.ts'

export interface BenchEndpoint {
  id: string
  /** Receiver path this endpoint posts to; a delivery is identified by path + event id. */
  path: string
}

export interface BenchTenant {
  slug: string
  id: string
  /** Bearer token of the tenant's Admin (JWT from sign-up). */
  token: string
  endpoints: BenchEndpoint[]
}

/** Secrets every process of one run shares (the worker opens the endpoint secrets the server sealed). */
export interface RunSecrets {
  SUPER_ADMIN_KEY: string
  JWT_SECRET: string
  MASTER_KEY: string
}

export function runSecrets(): RunSecrets {
  return {
    SUPER_ADMIN_KEY: `sak_${randomBytes(24).toString('hex')}`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    MASTER_KEY: randomBytes(32).toString('base64'),
  }
}

const PASSWORD = 'bench-Password-1234' // meets the strict policy of the custom plan
// Every event the bench produces is an inventory.created (POST /api/v1/inventory).
export const BENCH_EVENT = 'inventory.created'

/** Drops and creates the bench database, migrates and seeds it; returns the server version. */
export async function createDatabase(adminUrl: string, benchUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  let version: string
  try {
    // FORCE ends connections a crashed earlier run may have left behind.
    await client.query(`drop database if exists ${WEBHOOK_BENCH_DATABASE} with (force)`)
    await client.query(`create database ${WEBHOOK_BENCH_DATABASE}`)
    version = (await client.query<{ server_version: string }>('show server_version')).rows[0]!.server_version
  } finally {
    await client.end()
  }
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: benchUrl, LOG_LEVEL: 'silent' })
  const db = await openDatabase(config, { onPoolError: () => {} })
  try {
    await migrateUp(db)
    await seed(db, config)
  } finally {
    await db.close()
  }
  return version
}

/** A tenant on the custom plan with `endpoints` endpoints subscribed to BENCH_EVENT, all through the API. */
export async function createTenant(serverUrl: string, receiverUrl: string, secrets: RunSecrets, slug: string, endpoints: number): Promise<BenchTenant> {
  const signup = await call<{ tenant: { id: string }; token: string }>(serverUrl, 'POST', '/api/v1/auth/register-organization', undefined, {
    organization_name: `Bench ${slug}`,
    slug,
    admin_email: `admin@${slug}.bench.test`,
    admin_password: PASSWORD,
  })
  const tenant: BenchTenant = { slug, id: signup.tenant.id, token: signup.token, endpoints: [] }
  await call(serverUrl, 'POST', `/api/v1/tenants/${tenant.id}/migrate`, secrets.SUPER_ADMIN_KEY, { targetPlan: 'custom' })
  await ensureEndpoints(serverUrl, receiverUrl, tenant, endpoints)
  return tenant
}

/** Subscribes more endpoints (through the API) until the tenant has `count`. */
export async function ensureEndpoints(serverUrl: string, receiverUrl: string, tenant: BenchTenant, count: number): Promise<void> {
  for (let n = tenant.endpoints.length; n < count; n++) {
    const path = `/${tenant.slug}/e${n}`
    const endpoint = await call<{ id: string }>(serverUrl, 'POST', '/api/v1/webhooks', tenant.token, {
      name: `${tenant.slug} ${n}`,
      url: `${receiverUrl}${path}`,
      events: [BENCH_EVENT],
      timeout_ms: 5000,
    })
    tenant.endpoints.push({ id: endpoint.id, path })
  }
}

async function call<T = unknown>(base: string, method: string, path: string, token: string | undefined, body: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return (text ? JSON.parse(text) : undefined) as T
}
