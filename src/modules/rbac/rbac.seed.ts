import type { OwnerSession } from '../../db/index.ts'
import { permissionCatalog, systemRoles } from './permission-catalog.ts'

export interface RbacSeedResult {
  permissions: number
  roles: string[]
}

/** Idempotent: upserts the catalog and makes each system role hold exactly its permissions. */
export async function seedRbac(session: OwnerSession): Promise<RbacSeedResult> {
  for (const [name, description] of permissionCatalog) {
    const [resource, action] = name.split(':') as [string, string]
    await session.query(
      `insert into permissions (name, resource, action, description) values ($1, $2, $3, $4)
       on conflict (name) do update set resource = excluded.resource, action = excluded.action, description = excluded.description`,
      [name, resource, action, description],
    )
  }
  for (const role of systemRoles) {
    const { rows } = await session.query<{ id: string }>(
      `insert into roles (name, description) values ($1, $2)
       on conflict (name) do update set description = excluded.description
       returning id`,
      [role.name, role.description],
    )
    const roleId = rows[0]!.id
    await session.query('delete from role_permissions where role_id = $1 and permission <> all($2::text[])', [roleId, role.permissions])
    await session.query(
      `insert into role_permissions (role_id, permission) select $1, unnest($2::text[]) on conflict do nothing`,
      [roleId, role.permissions],
    )
  }
  return { permissions: permissionCatalog.length, roles: systemRoles.map((role) => role.name) }
}
