// The servers compared, in the order they run. The first is the baseline every ratio divides by.
export interface Variant {
  name: string
  description: string
  /** Server entry file, relative to the repository root. */
  server: string
  /** The server's pool logs in as tenantry_app instead of the schema owner. */
  appLogin?: boolean
}

export const BASELINE = 'a_bare_postgresjs'

export const variants: Variant[] = [
  {
    name: BASELINE,
    description: 'bare Fastify + postgres.js, prepared statement, one round trip, no tenancy',
    server: 'bench/servers/bare-postgresjs.ts',
  },
  {
    name: 'a2_bare_pg',
    description: 'bare Fastify + pg, unnamed statement, one round trip, no tenancy',
    server: 'bench/servers/bare-pg.ts',
  },
  {
    name: 'naive_pg_tx',
    description: 'pg: BEGIN; set_config; SET LOCAL ROLE; query; COMMIT (5 round trips)',
    server: 'bench/servers/naive-pg-tx.ts',
  },
  {
    name: 'b_tenantry',
    description: "Tenantry's app and InventoryService.getItem; owner pool, set_config('role') pipelined with the query",
    server: 'bench/servers/tenantry.ts',
  },
  {
    name: 'b_tenantry_app_login',
    description: 'as b_tenantry, but the pool logs in as tenantry_app (no role switch)',
    server: 'bench/servers/tenantry.ts',
    appLogin: true,
  },
]
