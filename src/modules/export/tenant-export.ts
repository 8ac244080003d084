import { PassThrough, type Readable } from 'node:stream'
import { runWithTenant } from '../../context/index.ts'
import { withTenantSnapshot, type Database } from '../../db/index.ts'
import { toJson } from './export-json.ts'
import { selectExport, type ExportSelection } from './export-selection.ts'
import { MEMBER_USERS_SQL, SYSTEM_ROLES_SQL, REDACTED, REDACTED_COLUMNS, REDACTED_VALUES, SKIPPED_TABLES } from './export-plan.ts'

export type ExportFormat = 'ndjson' | 'json'

export interface ExportedTenant {
  id: string
  slug: string
  name: string
  plan: string
  status: string
  settings: unknown
  created_at: Date
}

export const EXPORT_FORMAT_VERSION = 1
// Rows per FETCH: memory stays bounded whatever the tenant's size.
const BATCH = 500

/**
 * Streams one tenant's data (DESIGN §13): a header (the tenant, the tables, what was left out),
 * the members' users, every row of every exported table, and an end record with the row counts,
 * so a reader can tell a complete file from a cut one. All of it is read in one read-only
 * REPEATABLE READ transaction in the tenant's context (RLS applies), table by table through a
 * cursor. A failure after the first byte destroys the stream: the end record is missing.
 */
export function streamTenantExport(db: Database, tenant: ExportedTenant, format: ExportFormat, selection: ExportSelection = selectExport()): Readable {
  const out = new PassThrough()
  // PGlite runs one transaction at a time for the whole server: an export that waited for a slow
  // reader would stall every other request, so there it reads at full speed and buffers instead.
  const sink = new Sink(out, db.kind === 'postgres')
  const writer = format === 'ndjson' ? new NdjsonWriter(sink) : new JsonWriter(sink)
  runWithTenant(tenant.id, () =>
    withTenantSnapshot(db, async (tx) => {
      const { tables } = selection
      // Memberships and keys name system roles by id, and ids differ between deployments: the
      // names let an import into another deployment map them (tenant-import.ts).
      const { rows: systemRoles } = await tx.query(SYSTEM_ROLES_SQL)
      await writer.header({
        format: 'tenantry.export',
        format_version: EXPORT_FORMAT_VERSION,
        exported_at: new Date().toISOString(),
        tenant,
        tables: selection.users ? ['users', ...tables] : tables,
        ...(selection.dataTypes ? { data_types: selection.dataTypes } : {}),
        left_out: { tables: SKIPPED_TABLES, columns: REDACTED_COLUMNS, values: REDACTED_VALUES, users: ['password_hash'] },
        system_roles: systemRoles,
      })
      const counts: Record<string, number> = {}
      if (selection.users) {
        const { rows: users } = await tx.query(MEMBER_USERS_SQL, [tx.tenantId])
        counts.users = await writer.table('users', [users])
      }
      for (const table of tables) counts[table] = await writer.table(table, batches(tx, table))
      await writer.end(counts)
    }),
  ).then(
    () => out.end(),
    (error: unknown) => out.destroy(error as Error),
  )
  return out
}

type Rows = Record<string, unknown>[]
type Query = { query<Row>(text: string, params?: readonly unknown[]): Promise<{ rows: Row[] }> }

/**
 * The table's rows in batches, through a cursor named after the table (identifiers come from the
 * table registry, never from input). One name per table: pg keeps each statement text's columns
 * per connection (D48), and a FETCH's columns are its cursor's.
 */
async function* batches(tx: Query & { tenantId: string }, table: string): AsyncGenerator<Rows> {
  const cursor = `export_${table}`
  await tx.query(`declare ${cursor} no scroll cursor for select * from ${table} where tenant_id = $1`, [tx.tenantId])
  for (;;) {
    const { rows } = await tx.query<Record<string, unknown>>(`fetch ${BATCH} from ${cursor}`)
    if (rows.length > 0) yield rows.map((row) => redact(table, row))
    if (rows.length < BATCH) break
  }
  // Only on success: after a failure the transaction rolls back, which closes every cursor.
  await tx.query(`close ${cursor}`)
}

function redact(table: string, row: Record<string, unknown>): Record<string, unknown> {
  for (const column of REDACTED_COLUMNS[table] ?? []) delete row[column]
  for (const column of REDACTED_VALUES[table] ?? []) {
    const value = row[column]
    if (value && typeof value === 'object') row[column] = Object.fromEntries(Object.keys(value).map((key) => [key, REDACTED]))
  }
  return row
}

/** Writes with backpressure (when asked); rejects when the reader has gone (the transaction then ends). */
class Sink {
  private readonly out: PassThrough
  private readonly backpressure: boolean

  constructor(
    out: PassThrough,
    backpressure: boolean,
  ) {
    this.out = out
    this.backpressure = backpressure
  }

  write(chunk: string): Promise<void> {
    if (this.out.destroyed) return Promise.reject(new Error('export stream closed by the reader'))
    if (this.out.write(chunk) || !this.backpressure) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const done = (error?: Error) => {
        this.out.off('drain', onDrain).off('close', onClose)
        if (error) reject(error)
        else resolve()
      }
      const onDrain = () => done()
      const onClose = () => done(new Error('export stream closed by the reader'))
      this.out.once('drain', onDrain).once('close', onClose)
    })
  }
}

interface ExportWriter {
  header(header: Record<string, unknown>): Promise<void>
  /** Writes the table's rows, returns how many. */
  table(name: string, batches: AsyncIterable<Rows> | Iterable<Rows>): Promise<number>
  end(counts: Record<string, number>): Promise<void>
}

/** One JSON value per line: {"type":"header",…}, {"type":"row","table":…,"row":…}, {"type":"end","rows":…}. */
class NdjsonWriter implements ExportWriter {
  private readonly sink: Sink

  constructor(sink: Sink) {
    this.sink = sink
  }

  header(header: Record<string, unknown>): Promise<void> {
    return this.sink.write(`${toJson({ type: 'header', ...header })}\n`)
  }

  async table(name: string, batches: AsyncIterable<Rows> | Iterable<Rows>): Promise<number> {
    let count = 0
    for await (const rows of batches) {
      await this.sink.write(rows.map((row) => `${toJson({ type: 'row', table: name, row })}\n`).join(''))
      count += rows.length
    }
    return count
  }

  end(counts: Record<string, number>): Promise<void> {
    return this.sink.write(`${toJson({ type: 'end', rows: counts })}\n`)
  }
}

/** One JSON document: the header's fields, then "data": {table: [rows]}, then "rows": counts. */
class JsonWriter implements ExportWriter {
  private tables = 0
  private readonly sink: Sink

  constructor(sink: Sink) {
    this.sink = sink
  }

  header(header: Record<string, unknown>): Promise<void> {
    return this.sink.write(`${toJson(header).slice(0, -1)},"data":{`)
  }

  async table(name: string, batches: AsyncIterable<Rows> | Iterable<Rows>): Promise<number> {
    await this.sink.write(`${this.tables++ > 0 ? ',' : ''}${JSON.stringify(name)}:[`)
    let count = 0
    for await (const rows of batches) {
      await this.sink.write(`${count > 0 ? ',' : ''}${rows.map(toJson).join(',')}`)
      count += rows.length
    }
    await this.sink.write(']')
    return count
  }

  end(counts: Record<string, number>): Promise<void> {
    return this.sink.write(`},"rows":${toJson(counts)}}\n`)
  }
}
