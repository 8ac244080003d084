// DESIGN §6: which tenant a request is for. CAUTION: this decides whose data a request reaches.
// It fails closed: anything unclear is a 403, an unknown tenant and one the caller may not see
// answer the same, and a selector that disagrees with the credential is refused.
import { AppError } from '../../errors/index.ts'
import { requestHost } from '../../http/allowed-hosts.ts'
import { routingLabel } from '../tenants/index.ts'
import type { TenantRecord } from './tenant-directory.ts'

export type SelectorSource = 'header' | 'slug_header' | 'subdomain' | 'domain' | 'query'

export interface Selector {
  source: SelectorSource
  value: string
}

export interface ResolutionPolicy {
  requireTenant: boolean
  allowDefaultTenant: boolean
  defaultTenantId: string
}

export interface TenantLookup {
  findTenant(ref: string): Promise<TenantRecord | undefined>
  /** The tenant <label>.BASE_DOMAIN routes to: its subdomain, or its slug when it has none. */
  tenantByLabel(label: string): Promise<TenantRecord | undefined>
  tenantById(id: string): Promise<TenantRecord | undefined>
  /** The cached tenant, without waiting (undefined when not cached). */
  peekTenant?(id: string): TenantRecord | undefined
  /** The tenant id a verified custom domain routes to; undefined when the host is no tenant's. */
  tenantIdByDomain(host: string): Promise<string | undefined>
  /** tenantIdByDomain's cached answer (null: no tenant's; undefined: not cached). */
  peekDomain?(host: string): string | null | undefined
}

const denied = () => new AppError('tenant_access_denied', 'the tenant does not exist or you have no access to it')

export async function resolveTenant(
  credentialTenantId: string | undefined,
  selectors: Selector[],
  lookup: TenantLookup,
  policy: ResolutionPolicy,
): Promise<TenantRecord> {
  if (selectors.some((selector) => selector.source === 'domain')) selectors = await settleDomains(selectors, lookup)
  if (credentialTenantId) {
    const bound = lookup.peekTenant?.(credentialTenantId) ?? (await lookup.tenantById(credentialTenantId))
    if (!bound) throw denied()
    return checkSelectors(bound, selectors)
  }

  if (selectors.length > 0) {
    const found = await Promise.all(selectors.map((selector) => (selector.source === 'subdomain' ? lookup.tenantByLabel(selector.value) : lookup.findTenant(selector.value))))
    if (found.some((tenant) => tenant === undefined)) throw denied()
    const ids = new Set(found.map((tenant) => tenant!.id))
    if (ids.size > 1) throw new AppError('tenant_mismatch', 'the tenant selectors of this request name different tenants')
    return found[0]!
  }

  if (!policy.requireTenant && policy.allowDefaultTenant) {
    const fallback = await lookup.tenantById(policy.defaultTenantId)
    if (fallback) return fallback
  }
  throw new AppError('tenant_required', 'this route needs a tenant: name it with the tenant header, a tenant-bound token or key')
}

/**
 * resolveTenant's answer without a promise when it needs no lookup: a credential bound to a
 * tenant that is cached (every request of a tenant-bound token or key but the first).
 * undefined when resolveTenant must run; throws what resolveTenant throws.
 */
export function peekResolvedTenant(credentialTenantId: string | undefined, selectors: Selector[], lookup: TenantLookup): TenantRecord | undefined {
  const bound = credentialTenantId ? lookup.peekTenant?.(credentialTenantId) : undefined
  if (!bound) return undefined
  const settled = selectors.some((selector) => selector.source === 'domain') ? peekDomains(selectors, lookup) : selectors
  return settled && checkSelectors(bound, settled)
}

/**
 * A Host that is a tenant's verified custom domain names that tenant (by id from here on); any
 * other host (the API's own, an address) names none and is dropped: it is no selector at all.
 */
async function settleDomains(selectors: Selector[], lookup: TenantLookup): Promise<Selector[]> {
  const settled: Selector[] = []
  for (const selector of selectors) {
    if (selector.source !== 'domain') settled.push(selector)
    else {
      const tenantId = await lookup.tenantIdByDomain(selector.value)
      if (tenantId) settled.push({ source: 'domain', value: tenantId })
    }
  }
  return settled
}

/** settleDomains from the cache alone; undefined when a host is not cached. */
function peekDomains(selectors: Selector[], lookup: TenantLookup): Selector[] | undefined {
  const settled: Selector[] = []
  for (const selector of selectors) {
    if (selector.source !== 'domain') {
      settled.push(selector)
      continue
    }
    const tenantId = lookup.peekDomain?.(selector.value)
    if (tenantId === undefined) return undefined
    if (tenantId !== null) settled.push({ source: 'domain', value: tenantId })
  }
  return settled
}

/**
 * Selectors next to a tenant-bound credential must name that tenant. They are compared with the
 * bound tenant's own id and slug (a subdomain with its routing label), without looking them up, so the answer does not reveal whether
 * the other tenant exists.
 */
function checkSelectors(bound: TenantRecord, selectors: Selector[]): TenantRecord {
  for (const selector of selectors) {
    const value = selector.value.trim().toLowerCase()
    const names = selector.source === 'subdomain' ? value === routingLabel(bound) : value === bound.id || value === bound.slug
    if (!names) {
      throw new AppError('tenant_mismatch', `the ${describe(selector.source)} names another tenant than the credential`)
    }
  }
  return bound
}

function describe(source: SelectorSource): string {
  return { header: 'tenant header', slug_header: 'X-Tenant-Slug header', subdomain: 'subdomain', domain: 'custom domain', query: 'tenant query parameter' }[source]
}

/** The tenant selectors present on a request, per configuration. */
export function selectorsOf(
  request: { headers: Record<string, string | string[] | undefined>; query: unknown; hostname: string },
  options: { tenantHeader: string; subdomainEnabled: boolean; baseDomain: string | undefined; queryParamEnabled: boolean; customDomainsEnabled: boolean },
): Selector[] {
  const selectors: Selector[] = []
  const header = first(request.headers[options.tenantHeader.toLowerCase()])
  if (header !== undefined) selectors.push({ source: 'header', value: header })
  const slugHeader = first(request.headers['x-tenant-slug'])
  if (slugHeader !== undefined && options.tenantHeader.toLowerCase() !== 'x-tenant-slug') selectors.push({ source: 'slug_header', value: slugHeader })
  const host = requestHost(request)
  const base = options.subdomainEnabled && options.baseDomain ? options.baseDomain.toLowerCase() : undefined
  if (base !== undefined && host.endsWith(`.${base}`)) selectors.push({ source: 'subdomain', value: host.slice(0, -(base.length + 1)) })
  else if (options.customDomainsEnabled && host !== base) selectors.push({ source: 'domain', value: host })
  const query = (request.query as Record<string, unknown> | undefined)?.tenant
  if (query !== undefined) {
    // Refused rather than ignored while off: a caller relying on it learns at once that it names nothing here.
    if (!options.queryParamEnabled) {
      throw new AppError('validation_failed', `the tenant query parameter is off on this server (TENANT_QUERY_PARAM_ENABLED=false): name the tenant with the ${options.tenantHeader} header`, { field: 'tenant' })
    }
    // Repeated (?tenant=a&tenant=b): every value is a selector, so they must all agree.
    for (const value of [query].flat()) if (typeof value === 'string') selectors.push({ source: 'query', value })
  }
  return selectors
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
