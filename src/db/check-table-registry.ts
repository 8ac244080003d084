import type { OwnerSession } from './queryable.ts'
import { crossTenantIndexes, crossTenantPolicies, tableRegistry, type TableScope } from './table-registry.ts'

export const POLICY_NAME = 'tenant_isolation'
const TENANT_SETTING = "current_setting('app.current_tenant_id'"

interface TableRow {
  table_name: string
  rls: boolean
  forced: boolean
  has_tenant_id: boolean
  tenant_id_not_null: boolean
}

interface PolicyRow {
  table_name: string
  policy_name: string
  command: string
  permissive: boolean
  using_expr: string | null
  check_expr: string | null
  /** Role names the policy applies to ('public' for PUBLIC); login: whether any of them can log in. */
  roles: string[]
  login: boolean
}

interface IndexRow {
  table_name: string
  index_name: string
  leads_with_tenant_id: boolean
}

interface ForeignKeyRow {
  table_name: string
  constraint_name: string
  target_table: string
  includes_tenant_id: boolean
}

/**
 * Compares the registry with the live catalog and returns one line per problem, naming the
 * table. Run at start (a problem stops it) and in a test.
 */
export async function checkTableRegistry(
  session: OwnerSession,
  appRole: string,
  registry: Readonly<Record<string, TableScope>> = tableRegistry,
): Promise<string[]> {
  const problems: string[] = []
  const tables = await session.query<TableRow>(`
    select c.relname as table_name, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
           a.attname is not null as has_tenant_id, coalesce(a.attnotnull, false) as tenant_id_not_null
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
     where n.nspname = 'public' and c.relkind in ('r', 'p')
     order by c.relname`)
  const live = new Map(tables.rows.map((row) => [row.table_name, row]))

  for (const name of live.keys()) {
    if (!(name in registry)) problems.push(`table ${name}: not in the table registry (src/db/table-registry.ts); classify it as tenant or global`)
  }
  for (const [name, scope] of Object.entries(registry)) {
    const row = live.get(name)
    if (!row) problems.push(`table ${name}: registered as ${scope} but missing from the database`)
    else if (scope === 'tenant') problems.push(...checkTenantRow(row))
  }

  const tenantNames = Object.entries(registry).filter(([n, s]) => s === 'tenant' && live.has(n)).map(([n]) => n)
  if (tenantNames.length === 0) return problems
  problems.push(...(await checkPolicies(session, tenantNames)))
  problems.push(...(await checkIndexes(session, tenantNames)))
  problems.push(...(await checkForeignKeys(session, tenantNames)))
  problems.push(...(await checkPrivileges(session, tenantNames, appRole)))
  return problems
}

function checkTenantRow(row: TableRow): string[] {
  const problems: string[] = []
  const name = row.table_name
  if (!row.has_tenant_id) problems.push(`table ${name}: tenant-scoped but has no tenant_id column`)
  else if (!row.tenant_id_not_null) problems.push(`table ${name}: tenant_id must be NOT NULL`)
  if (!row.rls) problems.push(`table ${name}: row-level security is not enabled`)
  if (!row.forced) problems.push(`table ${name}: row-level security is not FORCED`)
  return problems
}

async function checkPolicies(session: OwnerSession, tables: string[]): Promise<string[]> {
  const { rows } = await session.query<PolicyRow>(
    `select c.relname as table_name, p.polname as policy_name, p.polcmd::text as command, p.polpermissive as permissive,
            pg_get_expr(p.polqual, p.polrelid) as using_expr, pg_get_expr(p.polwithcheck, p.polrelid) as check_expr,
            array(select case when r = 0 then 'public' else (select rolname from pg_roles where oid = r) end from unnest(p.polroles) r)::text[] as roles,
            exists (select 1 from pg_roles where oid = any(p.polroles) and rolcanlogin) or 0 = any(p.polroles) as login
       from pg_policy p join pg_class c on c.oid = p.polrelid
      where c.relname = any($1::text[])`,
    [tables],
  )
  const problems: string[] = []
  for (const table of tables) {
    const policies = rows.filter((row) => row.table_name === table)
    const policy = policies.find((row) => row.policy_name === POLICY_NAME)
    if (!policy) {
      problems.push(`table ${table}: missing the ${POLICY_NAME} policy`)
      continue
    }
    const guards = (expr: string | null) => expr !== null && expr.includes('tenant_id') && expr.includes(TENANT_SETTING) && expr.includes('nullif')
    if (policy.command !== '*' || !policy.permissive || !guards(policy.using_expr) || !guards(policy.check_expr)) {
      problems.push(`table ${table}: the ${POLICY_NAME} policy must apply to all commands with the nullif tenant check in USING and WITH CHECK`)
    }
    // A second permissive policy would widen access (permissive policies are OR-ed).
    for (const other of policies) {
      if (other.policy_name === POLICY_NAME || !other.permissive || isDeclaredCrossTenantPolicy(other)) continue
      problems.push(`table ${table}: extra permissive policy ${other.policy_name} widens tenant isolation`)
    }
  }
  return problems
}

/** A declared exception: its table, and exactly its one role, which cannot log in. */
function isDeclaredCrossTenantPolicy(policy: PolicyRow): boolean {
  const declared = crossTenantPolicies[policy.policy_name]
  return declared !== undefined && declared.table === policy.table_name && !policy.login && policy.roles.length === 1 && policy.roles[0] === declared.role
}

async function checkIndexes(session: OwnerSession, tables: string[]): Promise<string[]> {
  const { rows } = await session.query<IndexRow>(
    `select c.relname as table_name, i.relname as index_name,
            a.attname is not distinct from 'tenant_id' as leads_with_tenant_id
       from pg_index x
       join pg_class c on c.oid = x.indrelid
       join pg_class i on i.oid = x.indexrelid
       left join pg_attribute a on a.attrelid = c.oid and a.attnum = x.indkey[0]
      where c.relname = any($1::text[])`,
    [tables],
  )
  const problems: string[] = []
  for (const table of tables) {
    const indexes = rows.filter((row) => row.table_name === table)
    if (indexes.length === 0) problems.push(`table ${table}: no index leads with tenant_id (its primary key should)`)
    for (const index of indexes) {
      if (!index.leads_with_tenant_id && !crossTenantIndexes.has(index.index_name)) problems.push(`table ${table}: index ${index.index_name} does not lead with tenant_id`)
    }
  }
  return problems
}

async function checkForeignKeys(session: OwnerSession, tables: string[]): Promise<string[]> {
  const { rows } = await session.query<ForeignKeyRow>(
    `select c.relname as table_name, k.conname as constraint_name, t.relname as target_table,
            exists (select 1 from pg_attribute a where a.attrelid = k.conrelid and a.attname = 'tenant_id' and a.attnum = any(k.conkey)) as includes_tenant_id
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid
       join pg_class t on t.oid = k.confrelid
      where k.contype = 'f' and c.relname = any($1::text[])`,
    [tables],
  )
  return rows
    .filter((row) => tables.includes(row.target_table) && !row.includes_tenant_id)
    .map((row) => `table ${row.table_name}: foreign key ${row.constraint_name} to tenant table ${row.target_table} must include tenant_id`)
}

async function checkPrivileges(session: OwnerSession, tables: string[], appRole: string): Promise<string[]> {
  // Granted TRUNCATE (to the role or to PUBLIC), read from the ACL: a superuser role holds every
  // privilege implicitly, and that is check-app-role.ts's finding, not the schema's.
  const { rows } = await session.query<{ table_name: string }>(
    `select c.relname as table_name
       from pg_class c, aclexplode(c.relacl) acl
      where c.relname = any($1::text[]) and c.relnamespace = 'public'::regnamespace
        and acl.privilege_type = 'TRUNCATE'
        and (acl.grantee = 0 or acl.grantee = (select oid from pg_roles where rolname = $2))
      group by c.relname order by c.relname`,
    [tables, appRole],
  )
  return rows.map((row) => `table ${row.table_name}: ${appRole} must not hold TRUNCATE (it bypasses row-level security)`)
}
