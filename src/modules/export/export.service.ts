import type { Readable } from 'node:stream'
import { runWithTenant } from '../../context/index.ts'
import { withTenant, type Database } from '../../db/index.ts'
import { recordAudit, recordPlatformAction } from '../audit/index.ts'
import { selectExport, type ExportSelection } from './export-selection.ts'
import { streamTenantExport, type ExportedTenant, type ExportFormat } from './tenant-export.ts'

export interface StartedExport {
  stream: Readable
  format: ExportFormat
  filename: string
}

export class ExportService {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  /**
   * Records the export (the tenant's log; the platform log too when an operator asked) and then
   * starts streaming. The record is committed first, so an export cut short is still on record.
   */
  async start(tenant: ExportedTenant, format: ExportFormat, options: { platform?: boolean; selection?: ExportSelection } = {}): Promise<StartedExport> {
    const selection = options.selection ?? selectExport()
    const recorded = selection.dataTypes ? { format, data_types: selection.dataTypes } : { format }
    await runWithTenant(tenant.id, () =>
      withTenant(this.db, async (tx) => {
        await recordAudit(tx, { action: 'tenant.exported', resourceType: 'tenant', resourceId: tenant.id, changes: recorded })
        if (options.platform) await recordPlatformAction(tx, { action: 'tenant.exported', targetType: 'tenant', targetId: tenant.id, metadata: recorded })
      }),
    )
    const day = new Date().toISOString().slice(0, 10)
    return { stream: streamTenantExport(this.db, pick(tenant), format, selection), format, filename: `tenantry-${tenant.slug}-${day}.${format}` }
  }
}

/** The tenant's own fields, whatever record type the caller had (a directory record, a service Tenant). */
function pick(tenant: ExportedTenant): ExportedTenant {
  const { id, slug, name, plan, status, settings, created_at } = tenant
  return { id, slug, name, plan, status, settings, created_at }
}
