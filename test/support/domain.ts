// Helpers for the reference-domain suites (inventory, orders, reports, forecasts): a tenant with
// an Admin, calls through the real HTTP API, and reads as the schema owner to check state.
import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import { bearer, type TestApi } from './api.ts'

export interface Org {
  tenantId: string
  token: string
  headers: Record<string, string>
}

export async function newOrg(api: TestApi): Promise<Org> {
  const { tenantId, token } = await api.signUp()
  return { tenantId, token, headers: bearer(token) }
}

export const code = (prefix = 'SKU') => `${prefix}-${randomUUID().slice(0, 8)}`

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT'

export function call(api: TestApi, headers: Record<string, string>, method: Method, url: string, payload?: unknown) {
  return api.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) })
}

export async function createItem(api: TestApi, org: Org, body: Record<string, unknown> = {}): Promise<{ id: string; item_code: string; quantity: number; [key: string]: unknown }> {
  const response = await call(api, org.headers, 'POST', '/api/v1/inventory', { item_code: code(), name: 'Widget', ...body })
  expect(response.statusCode, response.body).toBe(201)
  return response.json()
}

export async function createOrder(api: TestApi, org: Org, lines: { item_id: string; quantity: number; unit_price?: number }[], extra: Record<string, unknown> = {}) {
  return call(api, org.headers, 'POST', '/api/v1/orders', { lines, ...extra })
}

export async function ownerQuery<Row = Record<string, unknown>>(api: TestApi, sql: string, params: unknown[] = []): Promise<Row[]> {
  const { rows } = await api.testDb.db.withOwnerSession((session) => session.query<Row>(sql, params))
  return rows
}

export async function quantityOf(api: TestApi, itemId: string): Promise<number | undefined> {
  const rows = await ownerQuery<{ quantity: number }>(api, 'select quantity from inventory_items where id = $1', [itemId])
  return rows[0]?.quantity
}

export async function eventsOf(api: TestApi, tenantId: string, type?: string): Promise<{ type: string; data: any }[]> {
  return ownerQuery(api, 'select type, data from domain_events where tenant_id = $1 and ($2::text is null or type = $2) order by created_at, id', [tenantId, type ?? null])
}

export async function auditActions(api: TestApi, tenantId: string): Promise<{ action: string; resource_id: string | null; changes: any }[]> {
  return ownerQuery(api, 'select action, resource_id, changes from audit_log where tenant_id = $1 order by seq', [tenantId])
}

/** Moves each tenant to `plan` as the operator (webhooks and other features need premium or more). */
export async function migratePlan(api: TestApi, plan: string, ...tenants: Org[]): Promise<void> {
  for (const tenant of tenants) {
    const upgraded = await call(api, api.operator, 'POST', `/api/v1/tenants/${tenant.tenantId}/migrate`, { targetPlan: plan })
    expect(upgraded.statusCode, upgraded.body).toBe(200)
  }
}

/** Turns plan features on in each tenant's settings, as the operator (the basic plan lacks most). Replaces settings.features. */
export async function enableFeatures(api: TestApi, features: string[], ...tenants: { tenantId: string }[]): Promise<void> {
  for (const tenant of tenants) {
    const patched = await call(api, api.operator, 'PATCH', `/api/v1/tenants/${tenant.tenantId}`, { settings: { features: Object.fromEntries(features.map((name) => [name, true])) } })
    expect(patched.statusCode, patched.body).toBe(200)
  }
}
