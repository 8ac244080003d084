// Several prepared statements followed by ONE Sync, so they cost one network round trip. In the
// extended protocol everything before a Sync runs in one implicit transaction (or inside the
// BEGIN that opens the pipeline), which is what lets the tenant context statement travel with
// the query instead of in front of it (DESIGN §16).
//
// This is a pg "submittable" (the extension point pg-cursor and pg-query-stream use): pg's
// Client hands it the connection to write to and calls its handle* methods with the backend's
// messages. It is lean on purpose, because every request runs one (docs/decisions.md D1, D48):
//   - a statement is parsed once per connection, and described once: its columns are kept with
//     the connection, so later executions send Bind/Execute only and the backend sends no
//     RowDescription back;
//   - only the last statement's rows are turned into objects (the context statement's are not
//     needed), with the type parsers and the row shape worked out once per statement.
import { createRequire } from 'node:module'
import pg from 'pg'

// pg's value serialisation (dates, buffers, arrays, JSON) as its own queries use it. pg's
// typings do not declare lib/utils.js; it is part of pg's public exports map.
const utils = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue: (value: unknown) => unknown }

export interface Step {
  /** Prepared statement name; undefined = unnamed (parsed and described every time). */
  name: string | undefined
  text: string
  values: readonly unknown[]
}

export interface PgResult {
  rows: unknown[]
  rowCount: number | null
}

interface FieldDescription {
  name: string
  dataTypeID: number
  format?: string
}

/** What one statement returns, worked out from its RowDescription once per connection. */
interface Shape {
  names: string[]
  parsers: ((value: string) => unknown)[]
  /** The row object with every column null: copied per row so rows share one hidden class. */
  template: Record<string, unknown>
}

/** The subset of pg's Connection a submittable writes to (pg/lib/connection.js). */
interface Connection {
  parsedStatements: Record<string, string>
  submittedNamedStatements?: Record<string, string>
  stream: { cork?: () => void; uncork?: () => void }
  parse(message: { text: string; name?: string }): void
  bind(message: { statement?: string; portal?: string; values: readonly unknown[] }): void
  describe(message: { type: 'P'; name: string }): void
  execute(message: { portal: string; rows?: number }): void
  sync(): void
  sendCopyFail(message: string): void
  on(event: 'parseComplete', listener: () => void): void
  off(event: 'parseComplete', listener: () => void): void
}

// Statement shapes per connection (a prepared statement's columns are fixed once it is parsed on
// that connection; another connection may have parsed it before a migration changed them).
const shapesByConnection = new WeakMap<Connection, Map<string, Shape>>()

const ignoreResult = (): void => undefined

/** A statement that returns no rows (its Describe answered NoData). */
const NO_COLUMNS: Shape = { names: [], parsers: [], template: {} }

class PipelinedQuery {
  /** Read by pg's query-timeout handling and by bench/webhooks/process-probe.ts (the statement kind). */
  readonly text: string
  callback: (error: Error | null, result?: PgResult) => void = ignoreResult
  private connection: Connection | undefined
  private shapes: Map<string, Shape> | undefined
  /** Steps whose Parse was sent and not yet confirmed, in order. */
  private awaitingParse: Step[] = []
  /** The step whose messages are arriving: advanced by each CommandComplete. */
  private current = 0
  /** The shape a RowDescription gave the current step (unnamed or not yet described). */
  private described: Shape | undefined
  /** Steps (by index) sent with a Describe. */
  private describing: boolean[] = []
  private readonly rows: unknown[] = []
  private rowCount: number | null = null
  private failed: Error | undefined
  private listening = false
  // Bound only when a Parse is awaited (a statement's first use on a connection). An arrow
  // function in a field would be made for every query, and tsx (esbuild's keepNames) names each
  // one with a defineProperty call: about 0.5% of a read's CPU in a profile.
  private onParseComplete: (() => void) | undefined

  private readonly steps: readonly Step[]

  constructor(steps: readonly Step[]) {
    this.steps = steps
    this.text = steps[steps.length - 1]!.text
  }

  /**
   * Writes the pipeline. An Error returned (not thrown) is pg's way to refuse a query before any
   * byte is sent: pg then calls handleError and moves on. So everything that can fail —
   * serialising the values (JSON.stringify of a circular object or a BigInt throws), a statement
   * name already used for another text — is done before the first message is written.
   */
  submit(connection: Connection): Error | null {
    this.connection = connection
    let shapes = shapesByConnection.get(connection)
    if (!shapes) shapesByConnection.set(connection, (shapes = new Map()))
    this.shapes = shapes
    let values: unknown[][]
    try {
      values = this.steps.map((step) => step.values.map((value) => utils.prepareValue(value)))
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error))
    }
    for (const step of this.steps) {
      const previous = step.name === undefined ? undefined : (connection.parsedStatements[step.name] ?? connection.submittedNamedStatements?.[step.name])
      if (previous !== undefined && previous !== step.text) return new Error(`prepared statement ${step.name} was used for a different statement`)
    }
    connection.stream.cork?.()
    try {
      this.steps.forEach((step, index) => this.describing.push(this.writeStep(connection, step, values[index]!, shapes)))
    } catch (error) {
      // Unreachable with the checks above, but never leave the server without its Sync: it
      // answers what was sent, and the query fails with this error once it is ready.
      this.failed = error as Error
    } finally {
      connection.sync()
      connection.stream.uncork?.()
    }
    // Only a first use of a statement on this connection has a Parse to confirm.
    if (this.awaitingParse.length > 0) {
      this.listening = true
      connection.on('parseComplete', (this.onParseComplete = this.confirmParse.bind(this)))
    }
    return null
  }

  /** Writes one step's messages; true when they include a Describe. */
  private writeStep(connection: Connection, step: Step, values: unknown[], shapes: Map<string, Shape>): boolean {
    const name = step.name
    const known = name !== undefined && (name in connection.parsedStatements || name in (connection.submittedNamedStatements ?? {}))
    if (!known) {
      connection.parse({ text: step.text, name })
      this.awaitingParse.push(step)
      if (name !== undefined) {
        connection.submittedNamedStatements ??= {}
        connection.submittedNamedStatements[name] = step.text
      }
    }
    connection.bind({ statement: name, values })
    const describe = name === undefined || !shapes.has(name)
    if (describe) connection.describe({ type: 'P', name: '' })
    connection.execute({ portal: '' })
    return describe
  }

  private confirmParse(): void {
    const step = this.awaitingParse.shift()
    if (step?.name && this.connection) {
      this.connection.parsedStatements[step.name] = step.text
      delete this.connection.submittedNamedStatements?.[step.name]
    }
  }

  handleRowDescription(message: { fields: FieldDescription[] }): void {
    const shape = shapeOf(message.fields)
    const name = this.steps[this.current]?.name
    if (name !== undefined) this.shapes!.set(name, shape)
    this.described = shape
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    // Rows of the steps before the last (the context statement, BEGIN) are not needed.
    if (this.current !== this.steps.length - 1 || this.failed) return
    const name = this.steps[this.current]!.name
    const shape = this.described ?? (name === undefined ? undefined : this.shapes!.get(name))
    if (!shape) {
      this.failed = new Error('pipelined query: a row arrived before its description')
      return
    }
    try {
      const row = { ...shape.template }
      const values = message.fields
      for (let i = 0; i < values.length; i++) {
        const raw = values[i]
        if (raw !== null && raw !== undefined) row[shape.names[i]!] = shape.parsers[i]!(raw)
      }
      this.rows.push(row)
    } catch (error) {
      this.failed = error as Error
    }
  }

  handleCommandComplete(message: { text: string }): void {
    if (this.current === this.steps.length - 1) this.rowCount = rowCountOf(message.text)
    this.nextStep()
  }

  handleEmptyQuery(): void {
    this.nextStep()
  }

  handlePortalSuspended(): void {
    // Never asked for: every Execute fetches all rows.
  }

  // COPY has no place in a tenant statement: refuse it, and the server ends the statement.
  handleCopyInResponse(connection: Connection): void {
    this.failed ??= new Error('COPY is not supported through the tenant database API')
    connection.sendCopyFail('COPY is not supported here')
  }

  handleCopyData(): void {
    this.failed ??= new Error('COPY is not supported through the tenant database API')
  }

  handleError(error: Error, connection: Connection): void {
    this.stopListening(connection)
    // The server skipped everything after the failing message, so statements still awaiting
    // their parseComplete were never created: forget them, or the next use would skip Parse.
    for (const step of this.awaitingParse) if (step.name) delete connection.submittedNamedStatements?.[step.name]
    this.awaitingParse = []
    this.callback(error)
  }

  handleReadyForQuery(connection: Connection): void {
    this.stopListening(connection)
    if (this.failed) return this.callback(this.failed)
    this.callback(null, { rows: this.rows, rowCount: this.rowCount })
  }

  private stopListening(connection: Connection): void {
    if (!this.listening) return
    this.listening = false
    connection.off('parseComplete', this.onParseComplete!)
  }

  private nextStep(): void {
    // Described, and no RowDescription came (NoData): remember that it returns no columns.
    const name = this.steps[this.current]?.name
    if (name !== undefined && this.describing[this.current] && !this.described) this.shapes!.set(name, NO_COLUMNS)
    this.current += 1
    this.described = undefined
  }
}

function shapeOf(fields: FieldDescription[]): Shape {
  const template: Record<string, unknown> = {}
  for (const field of fields) template[field.name] = null
  return {
    names: fields.map((field) => field.name),
    parsers: fields.map((field) => pg.types.getTypeParser(field.dataTypeID, (field.format ?? 'text') as 'text')),
    template,
  }
}

/** "SELECT 1", "UPDATE 3", "INSERT 0 1" → the last number; commands without one → null. */
function rowCountOf(tag: string): number | null {
  const space = tag.lastIndexOf(' ')
  if (space < 0) return null
  const count = Number(tag.slice(space + 1))
  return Number.isInteger(count) ? count : null
}

type PipelineCallback = (error: Error | null, result?: PgResult) => void

/** Runs the steps in one round trip and calls back with the last step's result. */
export function submitPipeline(client: { query(query: unknown): unknown }, steps: readonly Step[], callback: PipelineCallback): void {
  const query = new PipelinedQuery(steps)
  query.callback = callback
  client.query(query)
}

/** submitPipeline as a promise. */
export function runPipeline(client: { query(query: unknown): unknown }, steps: readonly Step[]): Promise<PgResult> {
  return new Promise((resolve, reject) => submitPipeline(client, steps, (error, result) => (error ? reject(error) : resolve(result!))))
}
