// What each kind of load sends (variants.ts names the kind). Bodies of creations carry UNIQUE,
// replaced per request, and a prefix fresh for each load, so no two requests of a run collide.
import { randomBytes } from 'node:crypto'
import { UNIQUE, type LoadRequest } from './load.ts'
import type { BenchData } from './seed-data.ts'
import type { LoadKind } from './variants.ts'

export interface Credentials {
  /** JWT of the read tenant's Manager. */
  reader: string
  /** JWTs of the write tenants' Managers (BenchData.writers), the measured one first. */
  writers: string[]
  superAdminKey: string
}

export interface BuiltRequests {
  requests: LoadRequest[]
  headers: Record<string, string>
}

const JSON_BODY = { 'content-type': 'application/json' }

export function buildRequests(kind: LoadKind, data: BenchData, credentials: Credentials): BuiltRequests {
  const prefix = randomBytes(4).toString('hex')
  const item = JSON.stringify({
    item_code: `W-${prefix}-${UNIQUE}`,
    name: 'Bench item',
    description: 'Created by the benchmark',
    quantity: 10,
    unit_cost: 12.5,
  })
  switch (kind) {
    case 'bare-read':
      return { headers: { 'x-tenant-id': data.tenantId }, requests: data.items.map((i) => ({ method: 'GET', path: `/items/${i.id}` })) }
    case 'api-read':
      return { headers: { authorization: `Bearer ${credentials.reader}` }, requests: data.items.map((i) => ({ method: 'GET', path: `/api/v1/inventory/${i.id}` })) }
    case 'bare-write':
      return { headers: { 'x-tenant-id': data.writers[0]!.tenantId, ...JSON_BODY }, requests: [{ method: 'POST', path: '/items', body: item }] }
    case 'api-write':
      return { headers: { authorization: `Bearer ${credentials.writers[0]}`, ...JSON_BODY }, requests: [{ method: 'POST', path: '/api/v1/inventory', body: item }] }
    case 'api-write-spread':
      // Each connection cycles over the write tenants: creations of different tenants do not queue on one tenant's locks.
      return {
        headers: JSON_BODY,
        requests: credentials.writers.map((token) => ({ method: 'POST', path: '/api/v1/inventory', headers: { authorization: `Bearer ${token}` }, body: item })),
      }
    case 'api-provision':
      return {
        headers: { authorization: `Bearer ${credentials.superAdminKey}`, ...JSON_BODY },
        requests: [{ method: 'POST', path: '/api/v1/tenants', body: JSON.stringify({ name: `Bench provisioned ${prefix} ${UNIQUE}` }) }],
      }
  }
}
