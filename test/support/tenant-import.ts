// Helpers for the tenant export and import suites: an export as the platform takes it, its lines,
// an import as the platform sends it, and a tenant's footprint (a digest of every row of every
// tenant table) to prove that a refused import changed nothing.
import { expect } from 'vitest'
import { tenantTables } from '../../src/db/index.ts'
import type { TestApi } from './api.ts'
import { ownerQuery } from './domain.ts'

export type Line = { type: 'header' | 'row' | 'end'; table?: string; row?: Record<string, unknown>; rows?: Record<string, number>; [key: string]: unknown }

export const lines = (body: string): Line[] => body.trimEnd().split('\n').map((line) => JSON.parse(line))
export const ndjson = (records: unknown[]): string => records.map((record) => `${JSON.stringify(record)}\n`).join('')

export async function exportOf(api: TestApi, tenantId: string, format: 'ndjson' | 'json' = 'ndjson'): Promise<string> {
  const response = await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenantId}/export`, headers: api.operator, query: { format } })
  expect(response.statusCode, response.body).toBe(200)
  return response.body
}

export function importInto(api: TestApi, tenantId: string, body: string, contentType = 'application/x-ndjson', headers: Record<string, string> = api.operator) {
  return api.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenantId}/import`, headers: { ...headers, 'content-type': contentType }, payload: body })
}

// Written by the usage meter's timer whenever it flushes, not by anything a test does.
const VOLATILE = new Set(['usage_daily'])

/**
 * A digest of each tenant table's rows of this tenant, and of the global rows an import may
 * write (users, the platform log): equal before and after means nothing was written.
 */
export async function tenantFootprint(api: TestApi, tenantId: string, options: { global?: boolean } = { global: true }): Promise<Record<string, string>> {
  const tables = tenantTables().filter((table) => !VOLATILE.has(table))
  const digest = (from: string) => `(select count(*) || ':' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') from ${from} t)`
  const parts = tables.map((table) => `${digest(`(select * from ${table} where tenant_id = $1)`)} as ${table}`)
  if (options.global !== false) parts.push(`${digest('users')} as users`, `${digest('platform_audit_log')} as platform_audit_log`, `${digest('(select * from tenants where id = $1)')} as tenant`)
  const [row] = await ownerQuery<Record<string, string>>(api, `select ${parts.join(', ')}`, [tenantId])
  return row!
}
