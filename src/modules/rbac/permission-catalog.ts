// The 24 permissions and the four system roles, exactly as DESIGN §8. Global and read-only:
// seeded by `npm run seed:roles`; tenants build custom roles from the same 24.

export const permissionCatalog = [
  ['inventory:read', 'View inventory items'],
  ['inventory:write', 'Create and change inventory items and stock'],
  ['inventory:delete', 'Delete inventory items'],
  ['orders:read', 'View orders'],
  ['orders:write', 'Create orders and change their status'],
  ['orders:delete', 'Delete orders'],
  ['reports:read', 'View reports'],
  ['reports:create', 'Create reports'],
  ['forecasts:read', 'View demand forecasts'],
  ['forecasts:write', 'Recompute demand forecasts'],
  ['users:read', 'View members'],
  ['users:write', 'Invite members and change their roles'],
  ['users:delete', 'Remove members'],
  ['roles:read', 'View roles'],
  ['roles:write', 'Create and change custom roles'],
  ['webhooks:read', 'View webhook endpoints and deliveries'],
  ['webhooks:write', 'Manage webhook endpoints, replay deliveries'],
  ['api_keys:read', 'View API keys'],
  ['api_keys:write', 'Create and revoke API keys'],
  ['settings:read', 'View tenant settings and configuration'],
  ['settings:write', 'Change tenant settings and configuration'],
  ['audit:read', 'View audit logs'],
  ['audit:export', 'Export audit logs'],
  ['tenant:export', 'Export all tenant data'],
] as const

export type Permission = (typeof permissionCatalog)[number][0]

export const allPermissions: readonly Permission[] = permissionCatalog.map(([name]) => name)

const readPermissions = allPermissions.filter((name) => name.endsWith(':read'))

export const systemRoles: readonly { name: string; description: string; permissions: readonly Permission[] }[] = [
  { name: 'Admin', description: 'Everything in the tenant', permissions: allPermissions },
  {
    name: 'Manager',
    description: 'Runs inventory and orders, sees members',
    permissions: [
      'inventory:read', 'inventory:write', 'inventory:delete',
      'orders:read', 'orders:write', 'orders:delete',
      'reports:read', 'reports:create', 'forecasts:read', 'forecasts:write', 'users:read',
    ],
  },
  {
    name: 'Analyst',
    description: 'Reads inventory and orders, builds reports',
    permissions: ['inventory:read', 'orders:read', 'reports:read', 'reports:create', 'forecasts:read'],
  },
  { name: 'Auditor', description: 'Reads everything, exports the audit log', permissions: [...readPermissions, 'audit:export'] },
]
