// Reads an export's records into the tenant of the transaction (DESIGN §13 "import into an empty
// tenant"; docs/decisions.md D57). The caller holds one tenant transaction: any refusal, at any
// record, rolls everything back. Rows are inserted in batches as they are read, so memory holds one
// batch and the users' id map, never the file.
import { issueInvitation } from '../members/members.repository.ts'
import type { TenantTx } from '../../db/index.ts'
import { EXPORT_FORMAT_VERSION } from './tenant-export.ts'
import { exportedTables, REDACTED_COLUMNS, SYSTEM_ROLES_SQL } from './export-plan.ts'
import { IMPORT_RULES, NOT_IMPORTED, type Notes, type RuleContext } from './import-plan.ts'
import { invalidFile, type ImportRecord } from './import-reader.ts'
import { insertRows, readCatalog, refusedByDatabase, type Catalog } from './import-rows.ts'
import { ImportedUsers } from './import-users.ts'
import { isPlainObject } from '../../lib/plain-object.ts'

// Rows per INSERT, and the JSON size at which a batch is sent early: one statement stays small.
const BATCH_ROWS = 500
const BATCH_CHARS = 4 * 1024 * 1024

export interface ImportDeps {
  sealSecret(tx: TenantTx, endpointId: string): Promise<{ value: string; key_version: number | null }>
}

export interface ImportResult {
  source: { tenant_id: string | null; slug: string | null; name: string | null; plan: string | null; exported_at: string | null; format_version: number; audit_chain_head: { last_seq: string; last_hash: string } | null }
  rows: Record<string, number>
  users: { matched: number; created: number }
  skipped: Record<string, { rows: number; reason: string; keys?: string[] }>
  changed: { table: string; rows: number; change: string; ids?: string[] }[]
  invitations: { user_id: string; email: string; token: string; expires_at: string }[]
}

interface Batch {
  table: string
  /** The rows' columns, sorted: one INSERT names one set of columns. */
  shape: string
  rows: Record<string, unknown>[]
  /** Each row as JSON, written once: its size bounds the batch, and the INSERT sends it. */
  json: string[]
  at: string[]
  chars: number
}

/** Consumes every record (header, rows in table order, end) and inserts the rows; throws a 400 AppError on a bad file. */
export async function importRecords(tx: TenantTx, records: AsyncIterable<ImportRecord>, deps: ImportDeps): Promise<ImportResult> {
  const run = new ImportRun(tx, deps)
  for await (const record of records) await run.accept(record)
  return run.finish()
}

class ImportRun implements Notes {
  private readonly order = ['users', ...exportedTables()]
  private readonly users = new ImportedUsers()
  private readonly read: Record<string, number> = {}
  private readonly result: ImportResult
  private catalog!: Catalog
  private roles!: { byName: Map<string, string>; ids: Set<string>; fileNames: Map<string, string> }
  private position = 0
  private batch: Batch | undefined
  private state: 'start' | 'rows' | 'ended' = 'start'
  private readonly context: RuleContext

  private readonly tx: TenantTx

  constructor(
    tx: TenantTx,
    deps: ImportDeps,
  ) {
    this.tx = tx
    this.result = { source: { tenant_id: null, slug: null, name: null, plan: null, exported_at: null, format_version: EXPORT_FORMAT_VERSION, audit_chain_head: null }, rows: {}, users: { matched: 0, created: 0 }, skipped: {}, changed: [], invitations: [] }
    this.context = {
      tx,
      userId: (fileId) => this.users.get(fileId)?.id,
      roleId: (fileId, at) => this.roleId(fileId, at),
      sealSecret: (endpointId) => deps.sealSecret(tx, endpointId),
      // Suspended stays suspended. Someone with a password here joins active, as POST /members
      // adds an existing account: an invitation token would let its holder sign in as that
      // person, whatever the file says. Anyone else cannot log in yet: invited.
      invited: (row) => row.status !== 'suspended' && !this.users.target(row.user_id)?.hasPassword,
      note: this,
    }
  }

  async accept(record: ImportRecord): Promise<void> {
    if (this.state === 'ended') throw invalidFile('trailing_data', `${record.at}: nothing may follow the end record`, { at: record.at })
    if (this.state === 'start') {
      if (record.type !== 'header') throw invalidFile('missing_header', `${record.at}: the file must start with its header`, { at: record.at })
      return this.header(record.header)
    }
    if (record.type === 'header') throw invalidFile('malformed_line', `${record.at}: a second header`, { at: record.at })
    if (record.type === 'end') return this.end(record.rows, record.at)
    await this.row(record.table, record.row, record.at)
  }

  finish(): ImportResult {
    if (this.state === 'start') throw invalidFile('missing_header', 'the file is empty: an export starts with its header')
    if (this.state !== 'ended') throw invalidFile('truncated', 'the file has no end record: it was cut short (or is not a complete export)')
    this.result.users = { matched: this.users.matched, created: this.users.created }
    return this.result
  }

  changed(table: string, change: string, id?: string): void {
    let entry = this.result.changed.find((c) => c.table === table && c.change === change)
    if (!entry) this.result.changed.push((entry = { table, rows: 0, change }))
    entry.rows += 1
    if (id !== undefined) (entry.ids ??= []).push(id)
  }

  skipped(table: string, reason: string, key?: string): void {
    const entry = (this.result.skipped[table] ??= { rows: 0, reason })
    entry.rows += 1
    if (key !== undefined) (entry.keys ??= []).push(key)
  }

  private async header(header: Record<string, unknown>): Promise<void> {
    if (header.format !== 'tenantry.export') throw invalidFile('unsupported_format', 'the header does not name the tenantry.export format')
    if (header.format_version !== EXPORT_FORMAT_VERSION) {
      throw invalidFile('unsupported_version', `the file is format version ${String(JSON.stringify(header.format_version)).slice(0, 32)}; this server reads version ${EXPORT_FORMAT_VERSION}`)
    }
    const tables = header.tables
    if (tables !== undefined && (!Array.isArray(tables) || tables.some((table) => typeof table !== 'string' || !this.order.includes(table)))) {
      const unknown = Array.isArray(tables) ? tables.filter((table) => !this.order.includes(table)).slice(0, 10) : tables
      throw invalidFile('unknown_table', 'the header lists tables this server does not import', { tables: JSON.stringify(unknown).slice(0, 500) })
    }
    const tenant = isPlainObject(header.tenant) ? header.tenant : {}
    const text = (value: unknown) => (typeof value === 'string' ? value : null)
    Object.assign(this.result.source, { tenant_id: text(tenant.id), slug: text(tenant.slug), name: text(tenant.name), plan: text(tenant.plan), exported_at: text(header.exported_at) })
    this.catalog = await readCatalog(this.tx, exportedTables())
    this.roles = await this.readRoles(header.system_roles)
    this.state = 'rows'
  }

  /** The target's system roles, and the file's role names by id (export header, since D57). */
  private async readRoles(fileRoles: unknown): Promise<ImportRun['roles']> {
    const { rows } = await this.tx.query<{ id: string; name: string }>(SYSTEM_ROLES_SQL)
    const fileNames = new Map<string, string>()
    if (fileRoles !== undefined && !Array.isArray(fileRoles)) throw invalidFile('malformed_line', 'the header\'s system_roles is not a list')
    for (const role of fileRoles ?? []) if (isPlainObject(role) && typeof role.id === 'string' && typeof role.name === 'string') fileNames.set(role.id, role.name)
    return { byName: new Map(rows.map((role) => [role.name, role.id])), ids: new Set(rows.map((role) => role.id)), fileNames }
  }

  /** System role ids differ between deployments: mapped by name when the file names it, else kept if it exists here. */
  private roleId(fileId: unknown, at: string): string {
    const name = typeof fileId === 'string' ? this.roles.fileNames.get(fileId) : undefined
    const id = name !== undefined ? this.roles.byName.get(name) : typeof fileId === 'string' && this.roles.ids.has(fileId) ? fileId : undefined
    if (id === undefined) throw invalidFile('unknown_role', `${at}: role ${JSON.stringify(name ?? fileId)} is not a system role of this deployment`, { at })
    return id
  }

  private async row(table: string, row: Record<string, unknown>, at: string): Promise<void> {
    const index = this.order.indexOf(table)
    if (index === -1) throw invalidFile('unknown_table', `${at}: unknown table ${JSON.stringify(table.slice(0, 64))}`, { at })
    // The export's order puts a table after those it references: rows out of it would break keys.
    if (index < this.position) throw invalidFile('out_of_order', `${at}: ${table} rows after ${this.order[this.position]} rows (tables come in the export's order)`, { at })
    this.position = index
    // A table's rows may refer to the previous tables' (users above all): those are written first.
    if (this.batch && this.batch.table !== table) await this.flush()
    this.read[table] = (this.read[table] ?? 0) + 1
    if (table !== 'users') this.checkColumns(table, row, at)
    if (table === 'audit_chain_heads') this.result.source.audit_chain_head = { last_seq: String(row.last_seq), last_hash: String(row.last_hash) }
    if (table in NOT_IMPORTED) return this.skipped(table, NOT_IMPORTED[table]!)
    const rule = IMPORT_RULES[table]
    const reason = rule?.skip?.(row)
    if (reason) return this.skipped(table, reason, typeof row.key === 'string' ? row.key : undefined)
    if (table !== 'users') {
      // CAUTION: the file's tenant_id is never trusted: every row is this tenant's.
      row.tenant_id = this.tx.tenantId
      this.decodeBytes(table, row)
      await rule?.transform?.(row, this.context, at)
    }
    await this.add(table, row, at)
  }

  private checkColumns(table: string, row: Record<string, unknown>, at: string): void {
    const columns = this.catalog.columns.get(table)!
    const redacted = REDACTED_COLUMNS[table] ?? []
    const unknown = Object.keys(row).filter((column) => !columns.has(column) || redacted.includes(column))
    if (unknown.length === 0) return
    const secret = unknown.filter((column) => redacted.includes(column))
    if (secret.length > 0) throw invalidFile('secret_column', `${at}: ${table}.${secret.join(', ')} is never taken from a file (exports leave it out)`, { at, table, columns: secret })
    throw invalidFile('unknown_column', `${at}: ${table} has no column ${unknown.map((c) => JSON.stringify(c.slice(0, 64))).join(', ')}`, { at, table, columns: unknown.slice(0, 10) })
  }

  /** Bytes are base64 in a file; PostgreSQL reads '\x' hex from JSON into bytea. */
  private decodeBytes(table: string, row: Record<string, unknown>): void {
    for (const column of this.catalog.bytea.get(table) ?? []) {
      const value = row[column]
      if (typeof value === 'string') row[column] = `\\x${Buffer.from(value, 'base64').toString('hex')}`
    }
  }

  private async add(table: string, row: Record<string, unknown>, at: string): Promise<void> {
    const shape = Object.keys(row).sort().join(',')
    if (this.batch && (this.batch.table !== table || this.batch.shape !== shape)) await this.flush()
    this.batch ??= { table, shape, rows: [], json: [], at: [], chars: 0 }
    const json = JSON.stringify(row)
    this.batch.rows.push(row)
    this.batch.json.push(json)
    this.batch.at.push(at)
    this.batch.chars += json.length
    if (this.batch.rows.length >= BATCH_ROWS || this.batch.chars >= BATCH_CHARS) await this.flush()
  }

  private async flush(): Promise<void> {
    const batch = this.batch
    if (!batch) return
    this.batch = undefined
    const at = batch.at.length === 1 ? batch.at[0]! : `${batch.at[0]} to ${batch.at.at(-1)}`
    if (batch.table === 'users') {
      try {
        await this.users.add(this.tx, batch.rows.map((row, i) => ({ row, at: batch.at[i]! })))
      } catch (error) {
        throw refusedByDatabase(error, 'users', at)
      }
    } else {
      await insertRows(this.tx, batch.table, batch.shape.split(','), `[${batch.json.join(',')}]`, at)
      if (batch.table === 'tenant_users') await this.welcome(batch.rows)
    }
    this.result.rows[batch.table] = (this.result.rows[batch.table] ?? 0) + batch.rows.length
  }

  /** New members: the login default of those without one, and an invitation for the invited. */
  private async welcome(memberships: Record<string, unknown>[]): Promise<void> {
    await this.tx.query('update users set default_tenant_id = $1 where id = any($2::uuid[]) and default_tenant_id is null', [this.tx.tenantId, memberships.map((m) => m.user_id)])
    for (const membership of memberships.filter((m) => m.status === 'invited')) {
      const userId = membership.user_id as string
      const { token, expiresAt } = await issueInvitation(this.tx, userId)
      this.result.invitations.push({ user_id: userId, email: this.users.target(userId)!.email, token, expires_at: expiresAt.toISOString() })
    }
  }

  private async end(counts: unknown, at: string): Promise<void> {
    await this.flush()
    this.state = 'ended'
    if (!isPlainObject(counts)) throw invalidFile('malformed_line', `${at}: the end record needs "rows", the count of every table`, { at })
    const tables = new Set([...Object.keys(counts), ...Object.keys(this.read)])
    const wrong = [...tables].filter((table) => (counts[table] ?? 0) !== (this.read[table] ?? 0)).slice(0, 10)
    if (wrong.length > 0) {
      const mismatches = Object.fromEntries(wrong.map((table) => [table.slice(0, 64), { expected: counts[table] ?? 0, read: this.read[table] ?? 0 }]))
      throw invalidFile('count_mismatch', `the end record's counts differ from the rows read (${wrong.map((t) => t.slice(0, 64)).join(', ')}): the file was altered or cut`, { mismatches })
    }
  }
}
