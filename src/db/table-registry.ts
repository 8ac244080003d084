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

  tenant_users: 'tenant',
  invitations: 'tenant',
  tenant_configurations: 'tenant',
  tenant_data_keys: 'tenant',
  inventory_items: 'tenant',
}

export const tenantTables = (registry = tableRegistry): string[] =>
  Object.entries(registry)
    .filter(([, scope]) => scope === 'tenant')
    .map(([table]) => table)
