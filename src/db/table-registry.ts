// Every table in the schema, classified. A tenant-scoped table holds one tenant's rows and is
// guarded by RLS; a global table holds platform rows only (DESIGN §4: no table mixes both).
// Adding a table means adding a line here; the start and a test refuse an unclassified table.
// Order matters for tenant tables: a table comes after the tables it references, so a purge
// walks the list backwards and never trips a foreign key.

export type TableScope = 'tenant' | 'global'

export const tableRegistry: Readonly<Record<string, TableScope>> = {
  schema_migrations: 'global',
  tenants: 'global',
  users: 'global',
  permissions: 'global',
  roles: 'global',
  role_permissions: 'global',
  platform_audit_log: 'global',
  scheduled_jobs: 'global',

  tenant_roles: 'tenant',
  tenant_role_permissions: 'tenant',
  tenant_users: 'tenant',
  invitations: 'tenant',
  tenant_configurations: 'tenant',
  tenant_data_keys: 'tenant',
  tenant_domains: 'tenant',
  api_keys: 'tenant',
  audit_chain_heads: 'tenant',
  audit_chain_witnesses: 'tenant',
  audit_log: 'tenant',
  rbac_audit_log: 'tenant',
  inventory_items: 'tenant',
  inventory_adjustments: 'tenant',
  orders: 'tenant',
  order_lines: 'tenant',
  forecasts: 'tenant',
  domain_events: 'tenant',
  webhook_endpoints: 'tenant',
  webhook_deliveries: 'tenant',
  webhook_delivery_attempts: 'tenant',
  usage_daily: 'tenant',
}

/**
 * Tenant tables the app role may only append to (INSERT, SELECT; the witnesses it only reads): a
 * tenant purge erases them through tenantry_erase_tenant_logs (migrations 0004, 0011) instead of DELETE.
 */
export const appendOnlyTables: ReadonlySet<string> = new Set(['audit_log', 'rbac_audit_log', 'audit_chain_heads', 'audit_chain_witnesses'])

export const tenantTables = (registry = tableRegistry): string[] =>
  Object.entries(registry)
    .filter(([, scope]) => scope === 'tenant')
    .map(([table]) => table)

/**
 * The only deliberate exceptions to "every index leads with tenant_id" and "one permissive policy
 * per tenant table": the webhook claim (DESIGN §10) is the one statement that spans tenants. It
 * orders due deliveries of all tenants by time, and it runs as a NOLOGIN role that owns the claim
 * functions and sees that one table whole. The registry check accepts these and nothing else.
 */
export const crossTenantIndexes: ReadonlySet<string> = new Set(['webhook_deliveries_due_idx'])
export const crossTenantPolicies: Readonly<Record<string, { table: string; role: string }>> = {
  webhook_claim: { table: 'webhook_deliveries', role: 'tenantry_webhook_claimer' },
}
