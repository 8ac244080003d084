import type { Queryable } from '../../db/index.ts'

export interface RoleRow {
  id: string
  name: string
  permissions: string[]
}

/** A system role by id or by name (case-insensitive). Custom roles come with the RBAC module. */
export async function findRole(tx: Queryable, ref: { id?: string; name?: string }): Promise<RoleRow | undefined> {
  const { rows } = await tx.query<RoleRow>(
    `select r.id, r.name, coalesce(array(select rp.permission from role_permissions rp where rp.role_id = r.id order by 1), '{}') as permissions
       from roles r where ($1::uuid is not null and r.id = $1::uuid) or ($2::text is not null and lower(r.name) = lower($2))`,
    [ref.id ?? null, ref.name ?? null],
  )
  return rows[0]
}
