import type { OwnerSession } from './database.ts'

// The SECURITY DEFINER functions that read memberships across tenants (migrations 0003 and 0010,
// docs/decisions.md D20) and verified domains (0013, D75). The webhook claim is not here: its
// owner has a policy of its own (D28).
const CROSS_TENANT_LOOKUPS: Readonly<Record<string, string>> = {
  tenantry_user_tenants: 'no memberships (logins without a tenant)',
  tenantry_user_membership_tenants: 'no memberships (user erasure)',
  tenantry_domain_tenant: 'no verified custom domain (they never route)',
}

/**
 * A lookup runs as its owner, the role that migrated, and tenant_users forces row-level security
 * on its owner too: unless that role is a superuser or has BYPASSRLS, the lookups find no
 * membership and logins without a tenant and user erasure quietly see none (D71).
 * Returns one line per problem; production refuses to start on any.
 */
export async function checkLookupOwners(session: OwnerSession): Promise<string[]> {
  const names = Object.keys(CROSS_TENANT_LOOKUPS).map((name) => `'${name}'`).join(', ')
  const { rows } = await session.query<{ lookup: string; owner: string }>(
    `select p.proname as lookup, r.rolname as owner
       from pg_proc p join pg_roles r on r.oid = p.proowner
      where p.pronamespace = 'public'::regnamespace and p.proname in (${names})
        and not (r.rolsuper or r.rolbypassrls)
      order by 1`,
  )
  return rows.map(
    ({ lookup, owner }) =>
      `DATABASE_URL: function ${lookup} runs as ${owner}, which row-level security applies to, so it finds ${CROSS_TENANT_LOOKUPS[lookup]}; as a superuser: ALTER ROLE ${owner} BYPASSRLS`,
  )
}
