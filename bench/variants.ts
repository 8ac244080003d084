// The servers and loads compared, in the order they run within a round, grouped in parts that
// BENCH_ONLY can select. Each figure of the summary (report.ts) divides one variant by another.

/** Which figure a variant serves (BENCH_ONLY takes these names, or variant names). */
export const PARTS = ['read', 'latency', 'write', 'tenants', 'provision', 'pglite'] as const
export type Part = (typeof PARTS)[number]

/** small: 10 tenants; large: BENCH_TENANTS; provision: a copy of small that provisioning fills; pglite: embedded. */
export type DatabaseName = 'small' | 'large' | 'provision' | 'pglite'

/** What a variant's load sends (run.ts turns it into requests). */
export type LoadKind =
  | 'bare-read' //      GET /items/:id, tenant in x-tenant-id (bare servers and the b variants)
  | 'api-read' //       GET /api/v1/inventory/:id with a member's JWT
  | 'bare-write' //     POST /items, tenant in x-tenant-id
  | 'api-write' //      POST /api/v1/inventory with a member's JWT
  | 'api-write-spread' // the same, cycling over the four write tenants
  | 'api-provision' //  POST /api/v1/tenants with SUPER_ADMIN_KEY

export interface Variant {
  name: string
  description: string
  parts: Part[]
  /** Server entry file, relative to the repository root. */
  server: string
  database: DatabaseName
  load: LoadKind
  /** The server's pool logs in as tenantry_app instead of the schema owner. */
  appLogin?: boolean
  /** Connections instead of BENCH_CONNECTIONS (1: latency without queueing). */
  connections?: number
  /** Runs only when named in BENCH_ONLY. */
  optional?: boolean
  /** Extra environment of a bench server that is not the API (e.g. which duties it performs). */
  env?: Record<string, string>
  /** LOG_LEVEL of an API server (default warn: no per-request line). */
  logLevel?: 'warn' | 'info'
}

/** A bare read doing some of the contract's per-response duties (servers/contract-floor.ts). */
function floorVariant(name: string, duties: string, description: string, optional = false): Variant {
  return { name, description, parts: ['read'], server: 'bench/servers/contract-floor.ts', database: 'small', load: 'bare-read', env: { BENCH_FLOOR_DUTIES: duties }, optional }
}

export const BASELINE = 'a_bare_postgresjs'
const API = 'bench/servers/api.ts'

export const variants: Variant[] = [
  {
    name: BASELINE,
    description: 'bare Fastify + postgres.js, prepared statement, one round trip, no tenancy',
    parts: ['read'],
    server: 'bench/servers/bare-postgresjs.ts',
    database: 'small',
    load: 'bare-read',
  },
  {
    name: 'a2_bare_pg',
    description: 'bare Fastify + pg, unnamed statement, one round trip, no tenancy',
    parts: ['read'],
    server: 'bench/servers/bare-pg.ts',
    database: 'small',
    load: 'bare-read',
  },
  {
    name: 'a3_bare_tenant_statement',
    description: "bare Fastify + Tenantry's tenant statement (pg: context and query before one Sync, as tenantry_app), no HTTP stack",
    parts: ['read'],
    server: 'bench/servers/bare-tenant-statement.ts',
    database: 'small',
    load: 'bare-read',
    appLogin: true,
  },
  {
    name: 'naive_pg_tx',
    description: 'pg: BEGIN; set_config; SET LOCAL ROLE; query; COMMIT (5 round trips)',
    parts: ['read'],
    server: 'bench/servers/naive-pg-tx.ts',
    database: 'small',
    load: 'bare-read',
  },
  {
    name: 'b_app_bare_read',
    description: "Tenantry's app (every plugin and hook) around the bare postgres.js read: the HTTP stack, no tenancy",
    parts: ['read'],
    server: 'bench/servers/app-bare-read.ts',
    database: 'small',
    load: 'bare-read',
  },
  floorVariant('c_contract_floor', 'headers,context,metrics', "bare Fastify + only the contract's per-response duties: request id, security and RateLimit headers, ALS context, one histogram observation"),
  floorVariant('c_floor_headers', 'headers', 'as c_contract_floor with the headers only (request id, security, RateLimit)', true),
  floorVariant('c_floor_als', 'context', 'as c_contract_floor with the ALS context only (one AsyncLocalStorage run per request)', true),
  floorVariant('c_floor_als_enabled', 'als-enabled', "as c_contract_floor with only AsyncLocalStorage's hooks switched on (no context per request)", true),
  floorVariant('c_floor_metrics', 'metrics', 'as c_contract_floor with the http_request_duration_seconds observation only', true),
  {
    name: 'b_tenantry',
    description: "Tenantry's app and InventoryService.getItem, tenant from x-tenant-id; owner pool, role switched in the context statement",
    parts: ['read'],
    server: 'bench/servers/tenantry.ts',
    database: 'small',
    load: 'bare-read',
    optional: true, // within noise of b_tenantry_app_login in every run so far
  },
  {
    name: 'b_tenantry_app_login',
    description: "Tenantry's app and InventoryService.getItem, tenant from x-tenant-id (no auth, RBAC, limits); pool logs in as tenantry_app",
    parts: ['read'],
    server: 'bench/servers/tenantry.ts',
    database: 'small',
    load: 'bare-read',
    appLogin: true,
  },
  {
    name: 'api_read',
    description: 'GET /api/v1/inventory/:id, JWT of a member: the whole request path (10 tenants)',
    parts: ['read', 'tenants', 'pglite'],
    server: API,
    database: 'small',
    load: 'api-read',
    appLogin: true,
  },
  {
    name: 'api_read_logged',
    description: 'as api_read with LOG_LEVEL=info: one JSON request line per request (to /dev/null)',
    parts: [],
    server: API,
    database: 'small',
    load: 'api-read',
    appLogin: true,
    logLevel: 'info',
    optional: true,
  },
  {
    name: 'api_read_large',
    description: 'as api_read, on the database with BENCH_TENANTS tenants',
    parts: ['tenants'],
    server: API,
    database: 'large',
    load: 'api-read',
    appLogin: true,
  },
  {
    name: 'a_bare_postgresjs_1c',
    description: 'as a_bare_postgresjs, one connection: latency without queueing',
    parts: ['latency'],
    server: 'bench/servers/bare-postgresjs.ts',
    database: 'small',
    load: 'bare-read',
    connections: 1,
  },
  {
    name: 'api_read_1c',
    description: 'as api_read, one connection: latency without queueing',
    parts: ['latency'],
    server: API,
    database: 'small',
    load: 'api-read',
    appLogin: true,
    connections: 1,
  },
  {
    name: 'bare_insert',
    description: 'POST /items: bare Fastify + postgres.js, one prepared INSERT, no tenancy',
    parts: ['write'],
    server: 'bench/servers/bare-insert.ts',
    database: 'small',
    load: 'bare-write',
  },
  {
    name: 'api_write',
    description: 'POST /api/v1/inventory, JWT of a member: item, opening stock entry, audit entry, domain event, one transaction',
    parts: ['write'],
    server: API,
    database: 'small',
    load: 'api-write',
    appLogin: true,
  },
  {
    name: 'api_write_4t',
    description: 'as api_write, requests spread over four tenants (one tenant\'s creations queue on its row lock)',
    parts: ['write'],
    server: API,
    database: 'small',
    load: 'api-write-spread',
    appLogin: true,
  },
  {
    name: 'api_provision',
    description: 'POST /api/v1/tenants with SUPER_ADMIN_KEY: one tenant per request',
    parts: ['provision'],
    server: API,
    database: 'provision',
    load: 'api-provision',
    appLogin: true,
  },
  {
    name: 'api_read_pglite',
    description: 'as api_read, on PGlite (embedded, DATA_DIR in a temp dir)',
    parts: ['pglite'],
    server: API,
    database: 'pglite',
    load: 'api-read',
  },
]

/**
 * The variants BENCH_ONLY asks for: every variant of a named part, every named variant
 * (optional ones only this way), and the baseline whenever a read runs. Empty = all but optional.
 */
export function selectVariants(only: string[]): Variant[] {
  for (const name of only) {
    if (!(PARTS as readonly string[]).includes(name) && !variants.some((v) => v.name === name)) {
      throw new Error(`BENCH_ONLY: ${name} is neither a part (${PARTS.join(', ')}) nor a variant (${variants.map((v) => v.name).join(', ')})`)
    }
  }
  const wanted = (v: Variant) =>
    only.length === 0 ? !v.optional : only.includes(v.name) || (!v.optional && v.parts.some((part) => only.includes(part)))
  const selected = variants.filter(wanted)
  const anyRead = selected.some((v) => v.load === 'api-read' || v.load === 'bare-read')
  return variants.filter((v) => selected.includes(v) || (anyRead && v.name === BASELINE))
}
