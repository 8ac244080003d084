// Small helpers for the platform (operator) route tests: calls, problem+json checks, and reads
// of the database as its owner (RLS not applied), so a test sees what really is stored.
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { OwnerSession } from '../../src/db/index.ts'
import { createTestApi, type TestApi } from './api.ts'
import { serverUrl } from './test-env.ts'

export type Response = LightMyRequestResponse
export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** Calls the API with the given headers (the SUPER_ADMIN_KEY by default). */
export function platformClient(api: TestApi, headers: Record<string, string> = api.operator) {
  const call = (method: Method, url: string, payload?: unknown) =>
    api.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) })
  return {
    call,
    get: (url: string) => call('GET', url),
    post: (url: string, payload?: unknown) => call('POST', url, payload),
    patch: (url: string, payload: unknown) => call('PATCH', url, payload),
    delete: (url: string) => call('DELETE', url),
  }
}

/** Asserts an RFC 9457 problem with this status and code, and returns its body. */
export function expectProblem(response: Response, status: number, code: string): Record<string, unknown> {
  const body = response.json()
  expect({ status: response.statusCode, code: body.code }, response.body).toEqual({ status, code })
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
  return body
}

/** Asserts a 2xx status (with the body in the failure message) and returns the parsed body. */
export function expectOk(response: Response, status = 200): any {
  expect(response.statusCode, response.body).toBe(status)
  return response.json()
}

export async function ownerRows<Row = Record<string, unknown>>(api: TestApi, sql: string, params: unknown[] = []): Promise<Row[]> {
  return (await api.testDb.db.withOwnerSession((session) => session.query<Row>(sql, params))).rows
}

/** `select count(*) from <table> [where …]` as the owner. The table name is the test's own. */
export async function countRows(api: TestApi, table: string, where = 'true', params: unknown[] = []): Promise<number> {
  const rows = await ownerRows<{ n: number }>(api, `select count(*)::int as n from ${table} where ${where}`, params)
  return rows[0]!.n
}

/** The platform audit actions recorded for a target, oldest first. */
export async function auditActions(api: TestApi, targetId: string): Promise<string[]> {
  const rows = await ownerRows<{ action: string }>(api, 'select action from platform_audit_log where target_id = $1 order by created_at, id', [targetId])
  return rows.map((row) => row.action)
}

export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$/

/** A race only a real server can line up (see behindLock): skipped on PGlite, which runs one statement at a time. */
export const onPostgresOnly = serverUrl() ? it : it.skip

/**
 * Lines concurrent requests up behind a lock so that a race is deterministic: an owner
 * transaction takes `lock.sql`, `start` sends the requests, and once `lock.waiters` backends
 * wait for a lock (at most 5 s) `beforeRelease` runs and the lock is released. On PGlite (one
 * connection, one statement at a time) `start` simply runs.
 */
export async function behindLock<T>(
  api: TestApi,
  lock: { sql: string; params?: unknown[]; waiters: number; beforeRelease?: (session: OwnerSession) => Promise<void> },
  start: () => Promise<T>,
): Promise<T> {
  if (!serverUrl()) return start()
  let started: Promise<T> | undefined
  await api.testDb.db.withOwnerSession(async (session) => {
    await session.exec('begin')
    try {
      await session.query(lock.sql, lock.params)
      started = start()
      started.catch(() => undefined) // awaited below, once the lock is gone
      await waitForLockWaiters(api, lock.waiters)
      await lock.beforeRelease?.(session)
      await session.exec('commit')
    } catch (error) {
      await session.exec('rollback')
      throw error
    }
  })
  return started!
}

async function waitForLockWaiters(api: TestApi, waiters: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [row] = await ownerRows<{ n: number }>(api, `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)
    if (row!.n >= waiters) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * A platform suite's fixture (call it at the top of the file): a test API made before the file's
 * tests and closed after them, and the operator's client on it.
 */
export function platformSuite(overrides: Record<string, string> = {}): { readonly api: TestApi; readonly client: ReturnType<typeof platformClient> } {
  let api: TestApi | undefined
  let client: ReturnType<typeof platformClient> | undefined
  beforeAll(async () => {
    api = await createTestApi(overrides)
    client = platformClient(api)
  })
  afterAll(() => api?.close())
  return {
    get api() {
      if (!api) throw new Error('platformSuite: the API exists only while the suite runs')
      return api
    },
    get client() {
      if (!client) throw new Error('platformSuite: the client exists only while the suite runs')
      return client
    },
  }
}

/**
 * A tenant suite's fixture (call it at the top of the file): a test API and a tenant signed up
 * with its Admin, made before the file's tests; the API is closed after them.
 */
export function tenantSuite(overrides: Record<string, string> = {}): { readonly api: TestApi; readonly org: Awaited<ReturnType<TestApi['signUp']>> } {
  let made: { api: TestApi; org: Awaited<ReturnType<TestApi['signUp']>> } | undefined
  beforeAll(async () => {
    const api = await createTestApi(overrides)
    made = { api, org: await api.signUp() }
  })
  afterAll(() => made?.api.close())
  const get = () => {
    if (!made) throw new Error('tenantSuite: the API exists only while the suite runs')
    return made
  }
  return {
    get api() {
      return get().api
    },
    get org() {
      return get().org
    },
  }
}
