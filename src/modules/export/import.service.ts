import type { Readable } from 'node:stream'
import type { InvalidationBus } from '../../cache/invalidation-bus.ts'
import { runWithTenant } from '../../context/index.ts'
import { withTenant, type Database, type TenantTx } from '../../db/index.ts'
import { AppError } from '../../errors/index.ts'
import { recordAudit, recordPlatformAction } from '../audit/index.ts'
import { lockTenant } from '../tenants/index.ts'
import { clearProvisionedConfiguration, nonEmptyTables } from './import-rows.ts'
import { assertReadable, recordsOf, spool, type ImportFile } from './import-source.ts'
import type { ExportFormat } from './tenant-export.ts'
import { importRecords, type ImportResult } from './tenant-import.ts'

export interface ImportSummary extends ImportResult {
  tenant: { id: string; slug: string }
  /** SHA-256 of the file as read: names it in the audit entries. */
  sha256: string
}

export interface ImportServiceDeps {
  tenants: { get(id: string): Promise<{ id: string; slug: string; status: string }> }
  webhooks: { sealUnseenSecret(tx: TenantTx, endpointId: string): Promise<{ value: string; key_version: number | null }> }
  bus: InvalidationBus
}

// Provisioning (not finished) and deleted tenants take no import.
const IMPORTABLE = new Set(['active', 'suspended'])

/** Import of an export into an existing, empty tenant (DESIGN §13; docs/decisions.md D57). Platform only. */
export class ImportService {
  private readonly db: Database
  private readonly deps: ImportServiceDeps

  constructor(
    db: Database,
    deps: ImportServiceDeps,
  ) {
    this.db = db
    this.deps = deps
  }

  /** An HTTP body: the tenant is checked before the body is read, then the body is spooled and imported. */
  async importUpload(tenantId: string, body: Readable, format: ExportFormat): Promise<ImportSummary> {
    const tenant = await this.importable(tenantId)
    const spooled = await spool(body, format)
    try {
      return await this.run(tenant, spooled.file)
    } finally {
      await spooled.remove()
    }
  }

  /** A file on disk (the CLI): it must be readable before the transaction starts. */
  async importFile(tenantId: string, file: ImportFile): Promise<ImportSummary> {
    const tenant = await this.importable(tenantId)
    await assertReadable(file)
    return this.run(tenant, file)
  }

  /**
   * One tenant transaction, as the app role with RLS: the tenant row locked, found empty, every
   * record read and inserted, the audit entries written. Any refusal rolls all of it back.
   */
  private async run(tenant: { id: string; slug: string }, file: ImportFile): Promise<ImportSummary> {
    const { records, digest } = recordsOf(file)
    const summary = await runWithTenant(tenant.id, () =>
      withTenant(this.db, async (tx) => {
        // Locked: a concurrent import, or a member added meanwhile, waits for this one and then finds the tenant not empty.
        const current = await lockTenant(tx, tenant.id)
        if (!current || !IMPORTABLE.has(current.status)) throw notImportable(tenant.slug, current?.status)
        const filled = await nonEmptyTables(tx)
        if (filled.length > 0) {
          throw new AppError('conflict', `tenant ${tenant.slug} is not empty (${filled.join(', ')}): an import goes into a new tenant only`, { reason: 'tenant_not_empty', tables: filled })
        }
        await clearProvisionedConfiguration(tx)
        const result = await importRecords(tx, records, { sealSecret: (inTx, endpointId) => this.deps.webhooks.sealUnseenSecret(inTx, endpointId) })
        const summary: ImportSummary = { tenant: { id: tenant.id, slug: tenant.slug }, sha256: digest.hex(), ...result }
        const changes = auditRecord(summary)
        await recordAudit(tx, { action: 'tenant.imported', resourceType: 'tenant', resourceId: tenant.id, changes })
        await recordPlatformAction(tx, { action: 'tenant.imported', targetType: 'tenant', targetId: tenant.id, metadata: changes })
        return summary
      }),
    )
    // New memberships: every instance forgets what it cached about this tenant's members.
    this.deps.bus.publish({ kind: 'tenant', tenantId: tenant.id })
    return summary
  }

  private async importable(tenantId: string) {
    const tenant = await this.deps.tenants.get(tenantId)
    if (!IMPORTABLE.has(tenant.status)) throw notImportable(tenant.slug, tenant.status)
    return tenant
  }
}

const notImportable = (slug: string, status: string | undefined) =>
  new AppError('conflict', `tenant ${slug} is ${status ?? 'gone'}: only an active or suspended tenant takes an import`, { reason: 'tenant_not_importable', status })

/**
 * What the audit entries keep: the source, the file's digest, the counts and what changed — never
 * the invitation tokens. Table counts are a list: audit redaction masks keys such as "api_keys".
 */
function auditRecord(summary: ImportSummary): Record<string, unknown> {
  return {
    source: summary.source,
    file_sha256: summary.sha256,
    rows: Object.entries(summary.rows).map(([table, rows]) => ({ table, rows })),
    users: summary.users,
    skipped: Object.entries(summary.skipped).map(([table, { rows, reason }]) => ({ table, rows, reason })),
    changed: summary.changed.map(({ table, rows, change }) => ({ table, rows, change })),
    invitations_issued: summary.invitations.length,
  }
}
