// Which parts of a tenant an export holds. Without a choice, everything (DESIGN §13). Seed 004's
// export body names parts as `dataTypes`: each is a section below (named as the seeds and the API
// name them) or one exported table, and anything else is refused naming what is allowed.
import { AppError } from '../../errors/index.ts'
import { assertFeature, type FeatureName, type PlanName, type TenantSettings } from '../plans/index.ts'
import { exportedTables } from './export-plan.ts'

/** The members' user records (global rows, read through the memberships): not a tenant table. */
export const USERS = 'users'

/** Sections by name, each the tables it holds (a table of a module that is not composed is skipped). */
const SECTIONS: Readonly<Record<string, readonly string[]>> = {
  members: [USERS, 'tenant_users', 'invitations'],
  users: [USERS, 'tenant_users', 'invitations'],
  roles: ['tenant_roles', 'tenant_role_permissions'],
  configuration: ['tenant_configurations'],
  configurations: ['tenant_configurations'],
  api_keys: ['api_keys'],
  audit: ['audit_chain_heads', 'audit_log', 'rbac_audit_log'],
  audit_logs: ['audit_chain_heads', 'audit_log', 'rbac_audit_log'],
  webhooks: ['webhook_endpoints', 'webhook_deliveries', 'webhook_delivery_attempts'],
  events: ['domain_events'],
  usage: ['usage_daily'],
  inventory: ['inventory_items', 'inventory_adjustments'],
  orders: ['orders', 'order_lines'],
  forecasts: ['forecasts'],
}

export interface ExportSelection {
  /** Whether the members' user records are in. */
  users: boolean
  /** The tenant tables, in export order. */
  tables: string[]
  /** What was asked for, as asked (recorded in the header and the audit entry). */
  dataTypes?: string[]
}

/** Every name `dataTypes` takes: the sections, then the tables themselves. */
export const allowedDataTypes = (): string[] => [...Object.keys(SECTIONS), ...exportedTables().filter((table) => !(table in SECTIONS))]

export function selectExport(dataTypes?: readonly string[]): ExportSelection {
  const all = exportedTables()
  if (dataTypes === undefined) return { users: true, tables: all }
  const unknown = dataTypes.filter((name) => !(name in SECTIONS) && !all.includes(name))
  if (unknown.length > 0) {
    const allowed = allowedDataTypes()
    throw new AppError('validation_failed', `dataTypes: ${unknown.slice(0, 5).map((name) => JSON.stringify(name.slice(0, 64))).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a part of an export; allowed: ${allowed.join(', ')}`, { allowed })
  }
  const wanted = new Set(dataTypes.flatMap((name) => SECTIONS[name] ?? [name]))
  return { users: wanted.has(USERS), tables: all.filter((table) => wanted.has(table)), dataTypes: [...dataTypes] }
}

/**
 * Tables a plan feature gates on their own routes (GET /api/v1/audit-logs/export, the forecast
 * routes): a tenant naming them in dataTypes asks for exactly what those routes would refuse it.
 */
const GATED_TABLES: Readonly<Record<string, { feature: FeatureName; what: string }>> = {
  audit_chain_heads: { feature: 'audit_export', what: 'audit log exports' },
  audit_log: { feature: 'audit_export', what: 'audit log exports' },
  rbac_audit_log: { feature: 'audit_export', what: 'audit log exports' },
  forecasts: { feature: 'advanced_analytics', what: 'demand forecasts' },
}

/** 403 feature_not_enabled when dataTypes names a part the tenant's plan gates (the full export, a backup, is not refused). */
export function assertSelectionFeatures(selection: ExportSelection, tenant: { plan: PlanName; settings: TenantSettings } | undefined): void {
  if (selection.dataTypes === undefined) return
  for (const table of selection.tables) {
    const gate = GATED_TABLES[table]
    if (gate) assertFeature(tenant, gate.feature, gate.what)
  }
}
