// SQL for an import: the target's catalog, whether it is empty, and batched inserts. Identifiers
// come from the table registry and the live catalog, never from the file.
import type { TenantTx } from '../../db/index.ts'
import { AppError } from '../../errors/index.ts'
import { tenantTables } from '../../db/index.ts'
import { DEFAULT_CONFIGURATION } from '../tenants/index.ts'
import { IGNORED_FOR_EMPTINESS } from './import-plan.ts'
import { invalidFile } from './import-reader.ts'

/** Each table's columns, and which of them are bytea (base64 in an export file). */
export interface Catalog {
  columns: Map<string, Set<string>>
  bytea: Map<string, Set<string>>
}

export async function readCatalog(tx: TenantTx, tables: string[]): Promise<Catalog> {
  const { rows } = await tx.query<{ table_name: string; column_name: string; is_bytea: boolean }>(
    `select c.relname::text as table_name, a.attname::text as column_name, a.atttypid = 'bytea'::regtype as is_bytea
       from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.relnamespace = current_schema()::regnamespace and c.relname = any($1::text[]) and a.attnum > 0 and not a.attisdropped`,
    [tables],
  )
  const catalog: Catalog = { columns: new Map(), bytea: new Map() }
  for (const { table_name, column_name, is_bytea } of rows) {
    add(catalog.columns, table_name, column_name)
    if (is_bytea) add(catalog.bytea, table_name, column_name)
  }
  return catalog
}

/**
 * The tenant tables that hold anything an empty tenant does not: logs, metering, data keys and
 * the configuration provisioning wrote are allowed (import-plan.ts IGNORED_FOR_EMPTINESS).
 */
export async function nonEmptyTables(tx: TenantTx): Promise<string[]> {
  const checked = tenantTables().filter((table) => !IGNORED_FOR_EMPTINESS.has(table))
  const probes = checked.map((table) =>
    table === 'tenant_configurations'
      ? `select '${table}' as name where exists (select 1 from ${table} where tenant_id = $1 and key <> all($2::text[]))`
      : `select '${table}' as name where exists (select 1 from ${table} where tenant_id = $1)`,
  )
  const { rows } = await tx.query<{ name: string }>(probes.join(' union all '), [tx.tenantId, Object.keys(DEFAULT_CONFIGURATION)])
  return rows.map((row) => row.name)
}

/** Provisioning's configuration makes way for the file's (checked by nonEmptyTables to be all there is). */
export async function clearProvisionedConfiguration(tx: TenantTx): Promise<void> {
  await tx.query('delete from tenant_configurations where tenant_id = $1', [tx.tenantId])
}

/**
 * Inserts rows that share one set of columns in one statement: PostgreSQL converts each JSON
 * value to its column's type (text[], jsonb, timestamptz, numeric …) as jsonb_populate_recordset
 * does. A row the database refuses (a constraint, a malformed value) refuses the file: 400.
 */
export async function insertRows(tx: TenantTx, table: string, columns: string[], rowsJson: string, at: string): Promise<void> {
  const list = columns.map((column) => `"${column}"`).join(', ')
  try {
    await tx.query(`insert into ${table} (${list}) select ${list} from jsonb_populate_recordset(null::${table}, $1::jsonb)`, [rowsJson])
  } catch (error) {
    throw refusedByDatabase(error, table, at)
  }
}

/** A database error caused by the file's content becomes a 400; anything else stays ours (500/503). */
export function refusedByDatabase(error: unknown, table: string, at: string): unknown {
  if (error instanceof AppError) return error
  const { code, constraint, message } = error as { code?: unknown; constraint?: unknown; message?: unknown }
  if (typeof code !== 'string' || !(code.startsWith('22') || code.startsWith('23') || code === '42804')) return error
  return invalidFile('rejected_row', `the database refused a row of ${table} (${at}): ${String(message)}`, {
    at,
    table,
    ...(typeof constraint === 'string' ? { constraint } : {}),
  })
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>()
  map.set(key, set.add(value))
}
