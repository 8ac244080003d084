import { TtlCache } from '../../cache/ttl-cache.ts'
import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { withSystem, type Database } from '../../db/index.ts'
import { domainTenant, type TenantRow } from '../tenants/index.ts'

/** What access control needs of a tenant (a subset of its row). */
export type TenantRecord = Pick<TenantRow, 'id' | 'slug' | 'name' | 'status' | 'plan' | 'settings'>

export interface MembershipRecord {
  status: 'active' | 'suspended' | 'invited'
  roleId: string
  roleName: string
  permissions: ReadonlySet<string>
}

export interface UserRecord {
  id: string
  email: string
  status: 'active' | 'disabled' | 'erased'
  isPlatformAdmin: boolean
}

// Brief: a change is also invalidated explicitly (on this instance at once, on others through
// Redis); the TTL only bounds how stale an instance without Redis signals can be.
const CACHE_TTL_MS = 30_000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const SLUG = /^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$/
const HOSTNAME = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

/**
 * The per-request lookups of access control — tenant by id or slug, a user, a membership with
 * its permissions — cached and invalidated on change, so a request costs no extra query.
 */
export class TenantDirectory {
  private readonly tenants = new TtlCache<TenantRecord>(CACHE_TTL_MS)
  private readonly slugs = new TtlCache<string>(CACHE_TTL_MS)
  /** label under BASE_DOMAIN → tenant id; any tenant's change may move a label. No misses: a new tenant routes at once, as slugs do. */
  private readonly labels = new TtlCache<string>(CACHE_TTL_MS, 100_000)
  /**
   * host → the tenant its verified custom domain routes to, or null. Misses are kept too: with
   * custom domains or ALLOWED_HOSTS on, every request's Host is looked up, most of them no
   * tenant's. Bounded; a verification or a tenant change clears it.
   */
  private readonly domains = new TtlCache<string | null>(CACHE_TTL_MS, 100_000)
  private readonly users = new TtlCache<UserRecord | null>(CACHE_TTL_MS)
  private readonly memberships = new TtlCache<MembershipRecord | null>(CACHE_TTL_MS, 100_000)

  private readonly db: Database

  constructor(
    db: Database,
    bus: InvalidationBus,
  ) {
    this.db = db
    bus.on((event) => {
      if (event.kind === 'tenant') {
        const cached = this.tenants.get(event.tenantId)
        if (cached) this.slugs.delete(cached.slug)
        this.tenants.delete(event.tenantId)
        this.labels.clear()
        this.domains.clear()
        this.memberships.deletePrefix(`${event.tenantId}:`)
      } else if (event.kind === 'user') {
        this.users.delete(event.userId)
        // Memberships are keyed tenant-first; a user change (disable, delete) is rare: clear all.
        this.memberships.clear()
      } else {
        this.memberships.delete(`${event.tenantId}:${event.userId}`)
      }
    })
  }

  /** A tenant by uuid or slug; anything that is neither is unknown (never reaches SQL). */
  async findTenant(ref: string): Promise<TenantRecord | undefined> {
    const value = ref.trim().toLowerCase()
    if (UUID.test(value)) return this.tenantById(value)
    if (!SLUG.test(value)) return undefined
    const id = this.slugs.get(value)
    if (id) return this.tenantById(id)
    const tenant = await this.loadTenant('slug = $1', value)
    return tenant
  }

  /** The tenant <label>.BASE_DOMAIN routes to (host-labels.ts): by its subdomain, else by its slug if it has none. */
  async tenantByLabel(label: string): Promise<TenantRecord | undefined> {
    const value = label.toLowerCase()
    if (!SLUG.test(value)) return undefined
    const cached = this.labels.get(value)
    if (cached !== undefined) return this.tenantById(cached)
    // A subdomain wins over a slug: rows written before labels were claimed may hold both.
    const tenant = await this.loadTenant(
      `settings->>'subdomain' = $1 or (slug = $1 and settings->>'subdomain' is null) order by (settings->>'subdomain' = $1) is true desc limit 1`,
      value,
    )
    if (tenant) this.labels.set(value, tenant.id)
    return tenant
  }

  /** The tenant id a verified custom domain routes to; undefined when the host is no tenant's. */
  async tenantIdByDomain(host: string): Promise<string | undefined> {
    const cached = this.peekDomain(host)
    if (cached !== undefined) return cached ?? undefined
    const id = HOSTNAME.test(host) ? await withSystem(this.db, (tx) => domainTenant(tx, host)) : undefined
    this.domains.set(host, id ?? null)
    return id
  }

  /** tenantIdByDomain's cached answer: null for no tenant's, undefined when not cached. */
  peekDomain(host: string): string | null | undefined {
    return this.domains.get(host)
  }

  // peek*: the cached answer, without waiting (undefined when not cached). The request path
  // takes a hit synchronously and awaits the loader only on a miss: every await of a request
  // costs its share of the AsyncLocalStorage promise hooks.
  peekTenant(id: string): TenantRecord | undefined {
    return this.tenants.get(id)
  }

  peekUser(userId: string): UserRecord | undefined {
    return this.users.get(userId) ?? undefined
  }

  peekMembership(tenantId: string, userId: string): MembershipRecord | undefined {
    return this.memberships.get(`${tenantId}:${userId}`) ?? undefined
  }

  async tenantById(id: string): Promise<TenantRecord | undefined> {
    if (!UUID.test(id)) return undefined
    return this.tenants.get(id) ?? this.loadTenant('id = $1', id)
  }

  async user(userId: string): Promise<UserRecord | undefined> {
    const cached = this.users.get(userId)
    if (cached !== undefined) return cached ?? undefined
    if (!UUID.test(userId)) return undefined
    const { rows } = await withSystem(this.db, (tx) =>
      tx.query<{ id: string; email: string; status: UserRecord['status']; is_platform_admin: boolean }>(
        'select id, email, status, is_platform_admin from users where id = $1',
        [userId],
      ),
    )
    const row = rows[0]
    const user = row ? { id: row.id, email: row.email, status: row.status, isPlatformAdmin: row.is_platform_admin } : null
    this.users.set(userId, user)
    return user ?? undefined
  }

  async membership(tenantId: string, userId: string): Promise<MembershipRecord | undefined> {
    const key = `${tenantId}:${userId}`
    const cached = this.memberships.get(key)
    if (cached !== undefined) return cached ?? undefined
    // One statement in the tenant's context: RLS admits only this tenant's membership row.
    const { rows } = await this.db.tenantStatement<{ status: MembershipRecord['status']; role_id: string; role_name: string; permissions: string[] }>(
      tenantId,
      `select tu.status, coalesce(tu.role_id, tu.custom_role_id) as role_id, coalesce(r.name, cr.name) as role_name,
              case when tu.role_id is not null
                   then array(select rp.permission from role_permissions rp where rp.role_id = tu.role_id)
                   else array(select trp.permission from tenant_role_permissions trp where trp.tenant_id = tu.tenant_id and trp.role_id = tu.custom_role_id)
              end as permissions
         from tenant_users tu
         left join roles r on r.id = tu.role_id
         left join tenant_roles cr on cr.tenant_id = tu.tenant_id and cr.id = tu.custom_role_id
        where tu.tenant_id = $1 and tu.user_id = $2`,
      [tenantId, userId],
    )
    const row = rows[0]
    const membership = row ? { status: row.status, roleId: row.role_id, roleName: row.role_name, permissions: new Set(row.permissions) } : null
    this.memberships.set(key, membership)
    return membership ?? undefined
  }

  private async loadTenant(where: string, value: string): Promise<TenantRecord | undefined> {
    const { rows } = await withSystem(this.db, (tx) =>
      tx.query<TenantRecord>(`select id, slug, name, status, plan, settings from tenants where ${where}`, [value]),
    )
    const tenant = rows[0]
    if (tenant) {
      this.tenants.set(tenant.id, tenant)
      this.slugs.set(tenant.slug, tenant.id)
    }
    return tenant
  }
}
