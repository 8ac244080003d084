import type { RouteOptions } from 'fastify'

/** `?tenant=` as every tenant route's query schema declares it when TENANT_QUERY_PARAM_ENABLED. */
const TENANT_QUERY_PROPERTY = {
  type: 'string',
  minLength: 1,
  maxLength: 253,
  description: 'the tenant, by id or slug (TENANT_QUERY_PARAM_ENABLED); must agree with a tenant-bound credential and the other selectors',
} as const

type ObjectSchema = { type?: unknown; properties?: Record<string, unknown> }

/**
 * Adds `tenant` to a tenant route's query schema, as the route registers: closed query schemas
 * would refuse it as an unknown property, and /openapi.json then lists it on every tenant route.
 * A route without a query schema gets one that declares only `tenant` and stays open. The route's
 * own schema object is never changed (schemas are shared between routes): a copy replaces it.
 */
export function declareTenantQueryParam(route: RouteOptions): void {
  const schema = (route.schema ??= {})
  const query = schema.querystring as ObjectSchema | undefined
  if (query !== undefined && query.type !== 'object') throw new Error(`route ${route.method} ${route.url}: ?tenant= needs an object query schema`)
  schema.querystring = { ...(query ?? { type: 'object' }), properties: { ...query?.properties, tenant: TENANT_QUERY_PROPERTY } }
}
