import { randomUUID } from 'node:crypto'
import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import type { Config } from '../../config/index.ts'
import { runWithTenant } from '../../context/index.ts'
import { appendOnlyTables, tenantTables, withSystem, withTenantAsOwner, type Database, type TenantTx } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import { decodeCursor, page } from '../../http/pagination.ts'
import { SecurityLog } from '../../observability/security-log.ts'
import { canonicalJson, recordAudit, recordPlatformAction } from '../audit/index.ts'
import { assertFeature, effectiveConfig, exceededLimits, type PlanDefaults, type PlanName, type TenantSettings, type TenantSettingsPatch } from '../plans/index.ts'
import { DEFAULT_CONFIGURATION } from './default-configuration.ts'
import { deleteUnlisted } from './domains.repository.ts'
import { claimHostLabel } from './host-labels.ts'
import { assertValidSlug, slugFromName, withSuffix } from './slug.ts'
import * as repository from './tenants.repository.ts'
import type { TenantRow } from './tenants.repository.ts'
import type { CreateTenantInput, ListTenantsFilter, UpdateOwnTenantInput, UpdateTenantInput } from './tenants.schemas.ts'

export type Tenant = TenantRow & { configuration: PlanDefaults }

/** Extra per-tenant set-up run inside the provisioning transaction (a failure undoes the tenant). */
export type Provisioner = (tx: TenantTx, tenant: TenantRow) => Promise<void>

// A deleted tenant can be reactivated for this long; after it, only a purge is left.
export const DELETED_TENANT_RETENTION_DAYS = 30

export class TenantsService {
  private readonly provisioners: Provisioner[] = [seedDefaultConfiguration]

  private readonly db: Database
  private readonly bus: InvalidationBus
  private readonly security: SecurityLog
  /** Where callers who name no tenant go (DEFAULT_TENANT_ID while ALLOW_DEFAULT_TENANT): that tenant is not deletable. */
  private readonly fallback?: Pick<Config, 'ALLOW_DEFAULT_TENANT' | 'DEFAULT_TENANT_ID'>

  constructor(
    db: Database,
    bus: InvalidationBus,
    security = new SecurityLog(),
    fallback?: Pick<Config, 'ALLOW_DEFAULT_TENANT' | 'DEFAULT_TENANT_ID'>,
  ) {
    this.db = db
    this.bus = bus
    this.security = security
    this.fallback = fallback
  }

  /** Lets another module (or a test) add provisioning steps. */
  addProvisioner(provisioner: Provisioner): void {
    this.provisioners.push(provisioner)
  }

  /**
   * Provisioning is one transaction in the new tenant's context: the row (provisioning), every
   * provisioner, the platform audit entry, then active. A failure anywhere leaves nothing.
   * Every write to the tenants row runs as the owner: the app role only reads it (D73).
   */
  async create(input: CreateTenantInput, inTransaction?: (tx: TenantTx, tenant: TenantRow) => Promise<void>): Promise<Tenant> {
    assertNotBlank(input.name)
    if (input.slug !== undefined) return this.provision(input, validSlug(input.slug), inTransaction)
    // A derived slug found free can be taken by a concurrent creation before our insert: retry.
    for (let attempt = 1; ; attempt++) {
      const slug = await this.availableSlug(slugFromName(input.name))
      try {
        return await this.provision(input, slug, inTransaction)
      } catch (error) {
        if (attempt >= 5 || (error as { constraint?: string }).constraint !== 'tenants_slug_key') throw error
      }
    }
  }

  private async provision(input: CreateTenantInput, slug: string, inTransaction?: (tx: TenantTx, tenant: TenantRow) => Promise<void>): Promise<Tenant> {
    const id = randomUUID()
    const row = await runWithTenant(id, () =>
      withTenantAsOwner(this.db, async (tx) => {
        await claimHostLabel(tx, slug, id, 'slug')
        if (input.settings?.subdomain) await claimHostLabel(tx, input.settings.subdomain, id, 'subdomain')
        const inserted = await repository.insertTenant(tx, { id, slug, name: input.name.trim(), plan: input.plan ?? 'basic', settings: input.settings ?? {} })
        for (const provision of this.provisioners) await provision(tx, inserted)
        if (inTransaction) await inTransaction(tx, inserted)
        const active = await repository.updateTenant(tx, id, { status: 'active' })
        await recordPlatformAction(tx, { action: 'tenant.created', targetType: 'tenant', targetId: id, metadata: { slug, plan: inserted.plan } })
        return active!
      }),
    )
    return withConfiguration(row)
  }

  async get(id: string): Promise<Tenant> {
    const row = await withSystem(this.db, (tx) => repository.findTenant(tx, id))
    if (!row) throw notFound('tenant', id)
    return withConfiguration(row)
  }

  async list(filter: ListTenantsFilter): Promise<{ data: Tenant[]; next_cursor: string | null }> {
    const limit = filter.limit ?? 50
    const rows = await withSystem(this.db, (tx) => repository.listTenants(tx, { ...filter, limit }, decodeCursor(filter.cursor)))
    const result = page(rows, limit)
    return { data: result.data.map(withConfiguration), next_cursor: result.next_cursor }
  }

  /** Every tenant (optionally of one status), page after page: the CLI's list and backup. */
  async listAll(status?: ListTenantsFilter['status']): Promise<Tenant[]> {
    const all: Tenant[] = []
    let cursor: string | undefined
    do {
      const page = await this.list({ status, limit: 100, cursor })
      all.push(...page.data)
      cursor = page.next_cursor ?? undefined
    } while (cursor)
    return all
  }

  /** `allowed` judges the change against the locked row (plan, settings) before anything is written. */
  async update(id: string, input: UpdateTenantInput, allowed?: (current: TenantRow) => void): Promise<Tenant> {
    if (input.name !== undefined) assertNotBlank(input.name)
    return this.change(id, 'tenant.updated', async (tx, current) => {
      allowed?.(current)
      const subdomain = input.settings?.subdomain
      if (subdomain && subdomain !== current.settings.subdomain) await claimHostLabel(tx, subdomain, id, 'subdomain')
      // A verified domain the operator takes off the list stops routing with this change.
      if (input.settings && 'domains' in input.settings) await deleteUnlisted(tx, input.settings.domains ?? [])
      const settings = input.settings ? mergeSettings(current.settings, input.settings) : undefined
      return { name: input.name?.trim(), settings }
    }, { fields: Object.keys(input) })
  }

  /** A tenant's own change (its Admin): the name, and branding where the plan has custom_branding. */
  async updateOwn(id: string, input: UpdateOwnTenantInput): Promise<Tenant> {
    return this.update(id, input, (current) => {
      if (input.settings?.branding) assertFeature(current, 'custom_branding', 'custom branding')
    })
  }

  async suspend(id: string): Promise<Tenant> {
    const tenant = await this.change(id, 'tenant.suspended', async (_tx, current) => {
      if (current.status !== 'active') throw new AppError('conflict', `only an active tenant can be suspended; this one is ${current.status}`)
      return { status: 'suspended' }
    })
    this.security.event('tenant.suspended', { tenant_id: id })
    return tenant
  }

  async reactivate(id: string): Promise<Tenant> {
    const tenant = await this.change(id, 'tenant.reactivated', async (_tx, current) => {
      if (current.status === 'active') throw new AppError('conflict', 'the tenant is already active')
      if (current.status === 'deleted' && current.deleted_at && Date.now() - current.deleted_at.getTime() > DELETED_TENANT_RETENTION_DAYS * 86_400_000) {
        throw new AppError('conflict', `the tenant was deleted more than ${DELETED_TENANT_RETENTION_DAYS} days ago and can only be purged`)
      }
      return { status: 'active', deleted: false }
    })
    this.security.event('tenant.reactivated', { tenant_id: id })
    return tenant
  }

  // Platform log only: a deleted tenant's own log is erased with it at purge, and the purge
  // reports the rows it removes, so the deletion must not add one to the tenant's log.
  softDelete(id: string): Promise<Tenant> {
    return this.change(id, 'tenant.deleted', async (_tx, current) => {
      if (current.status === 'deleted') throw new AppError('conflict', 'the tenant is already deleted; purge it to remove its data (DELETE with ?purge=true, or tenantry tenant delete --purge)')
      // Every caller who names no tenant would land in a deleted tenant (and be refused) instead.
      if (this.fallback?.ALLOW_DEFAULT_TENANT && current.id === this.fallback.DEFAULT_TENANT_ID) throw new AppError('conflict', 'this is the default tenant, where callers who name no tenant go (ALLOW_DEFAULT_TENANT): set ALLOW_DEFAULT_TENANT=false first, or suspend it')
      return { status: 'deleted', deleted: true }
    }, {}, { tenantLog: false })
  }

  /** Applies the target plan's defaults; the tenant's own overrides stay. Refuses what usage exceeds. */
  migratePlan(id: string, targetPlan: PlanName): Promise<Tenant> {
    return this.change(id, 'tenant.plan_migrated', async (tx, current) => {
      const exceeded = exceededLimits(effectiveConfig(targetPlan, current.settings), await repository.tenantUsage(tx))
      if (exceeded.length > 0) {
        const first = exceeded[0]!
        throw new AppError('plan_limit_exceeded', `the tenant has ${first.current} where plan ${targetPlan} allows ${first.allowed} (${first.limit})`, { limit: first.limit, limits: exceeded, target_plan: targetPlan })
      }
      return { plan: targetPlan }
    }, { target_plan: targetPlan })
  }

  /** Removes every row of a deleted tenant from every tenant-scoped table, then the tenant. */
  async purge(id: string): Promise<{ id: string; purged: Record<string, number> }> {
    return (await this.purgeWhere(id, undefined))!
  }

  /**
   * The scheduled purge: only a tenant deleted more than `retentionDays` ago (checked under the
   * row lock, so a reactivation or a fresh deletion since the job listed it wins); null otherwise.
   */
  purgeIfExpired(id: string, retentionDays = DELETED_TENANT_RETENTION_DAYS): Promise<{ id: string; purged: Record<string, number> } | null> {
    return this.purgeWhere(id, new Date(Date.now() - retentionDays * 86_400_000))
  }

  private async purgeWhere(id: string, deletedBefore: Date | undefined): Promise<{ id: string; purged: Record<string, number> } | null> {
    await this.get(id) // 404 before entering the tenant's context
    const purged = await runWithTenant(id, () =>
      withTenantAsOwner(this.db, async (tx) => {
        // Checked under the row lock: a reactivation committed a moment ago must win.
        const current = await repository.lockTenant(tx, id)
        if (deletedBefore && (current?.status !== 'deleted' || !current.deleted_at || current.deleted_at >= deletedBefore)) return null
        if (current?.status !== 'deleted') throw new AppError('conflict', 'only a deleted tenant can be purged; delete it first')
        const counts: Record<string, number> = {}
        // Children before parents: the registry lists parents first.
        for (const table of [...tenantTables()].reverse()) {
          counts[table] = appendOnlyTables.has(table) ? await repository.countTenantRows(tx, table) : await repository.deleteTenantRows(tx, table)
        }
        await repository.eraseTenantLogs(tx)
        await repository.deleteTenant(tx, id)
        const reason = deletedBefore ? { reason: 'retention', deleted_at: current.deleted_at!.toISOString() } : {}
        await recordPlatformAction(tx, { action: 'tenant.purged', targetType: 'tenant', targetId: id, metadata: { slug: current.slug, rows: counts, ...reason } })
        return counts
      }),
    )
    if (purged === null) return null
    this.bus.publish({ kind: 'tenant', tenantId: id })
    return { id, purged }
  }

  private async change(
    id: string,
    action: string,
    decide: (tx: TenantTx, current: TenantRow) => Promise<Parameters<typeof repository.updateTenant>[2]>,
    metadata: Record<string, unknown> = {},
    options: { tenantLog: boolean } = { tenantLog: true },
  ): Promise<Tenant> {
    await this.get(id) // 404 before entering the tenant's context
    const row = await runWithTenant(id, () =>
      withTenantAsOwner(this.db, async (tx) => {
        // Locked: concurrent lifecycle changes see each other's result, not the same old state.
        const current = await repository.lockTenant(tx, id)
        if (!current) throw notFound('tenant', id)
        const updated = await repository.updateTenant(tx, id, await decide(tx, current))
        await recordPlatformAction(tx, { action, targetType: 'tenant', targetId: id, metadata: { ...metadata, from_status: current.status, to_status: updated!.status } })
        // DESIGN §6.6: an operator's change inside a tenant is in that tenant's own log too.
        if (options.tenantLog) await recordAudit(tx, { action, resourceType: 'tenant', resourceId: id, changes: { ...metadata, ...tenantDiff(current, updated!) } })
        return updated!
      }),
    )
    this.bus.publish({ kind: 'tenant', tenantId: id })
    return withConfiguration(row)
  }

  private async availableSlug(base: string): Promise<string> {
    return withSystem(this.db, async (tx) => {
      for (let n = 1; n <= 50; n++) {
        const candidate = n === 1 ? base : withSuffix(base, n)
        if (!(await repository.slugTaken(tx, candidate))) return candidate
      }
      return withSuffix(base, Number.parseInt(randomUUID().slice(0, 6), 16))
    })
  }
}

function validSlug(slug: string): string {
  assertValidSlug(slug)
  return slug
}

function withConfiguration(row: TenantRow): Tenant {
  return { ...row, configuration: effectiveConfig(row.plan, row.settings) }
}

/** What a lifecycle change did to the tenant row, field by field (settings per key). */
function tenantDiff(before: TenantRow, after: TenantRow): Record<string, unknown> {
  const diff: Record<string, unknown> = {}
  for (const field of ['name', 'status', 'plan'] as const) {
    if (before[field] !== after[field]) diff[field] = { from: before[field], to: after[field] }
  }
  const was = before.settings as Record<string, unknown>
  const is = after.settings as Record<string, unknown>
  const settings = Object.fromEntries(
    [...new Set([...Object.keys(was), ...Object.keys(is)])]
      .filter((key) => canonicalJson(was[key]) !== canonicalJson(is[key]))
      .map((key) => [key, { from: was[key] ?? null, to: is[key] ?? null }]),
  )
  if (Object.keys(settings).length > 0) diff.settings = settings
  return diff
}

function mergeSettings(current: TenantSettings, patch: TenantSettingsPatch): TenantSettings {
  const merged: Record<string, unknown> = { ...current }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key]
    else merged[key] = value
  }
  return merged as TenantSettings
}

async function seedDefaultConfiguration(tx: TenantTx): Promise<void> {
  for (const [key, value] of Object.entries(DEFAULT_CONFIGURATION)) {
    await tx.query('insert into tenant_configurations (tenant_id, key, value) values ($1, $2, $3)', [tx.tenantId, key, JSON.stringify(value)])
  }
}

/** Names are stored trimmed: one of spaces only would be stored empty (and derive no slug). */
function assertNotBlank(name: string): void {
  if (name.trim() === '') throw new AppError('validation_failed', 'the tenant needs a name (not only spaces)', { field: 'name' })
}
