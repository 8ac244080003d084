// A pg query that sends several prepared statements followed by ONE Sync, so they cost one
// network round trip. In the extended protocol everything before a Sync runs in one implicit
// transaction (or inside the BEGIN that opens the pipeline), which is what lets the tenant
// context statement travel with the query instead of in front of it (DESIGN §16).
//
// pg's own Query already accumulates several results (it is used for multi-statement simple
// queries); this subclass only changes what `submit` writes. pg tracks parsed statement names
// only for its own single-statement queries, so we record ours from the parseComplete messages.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
// pg's typings do not declare the Query class; lib/* is part of pg's public exports map.
const Query = require('pg/lib/query.js') as new (config: { text: string }) => PgQuery
const utils = require('pg/lib/utils.js') as { prepareValue: (value: unknown) => unknown }

export interface Step {
  /** Prepared statement name; undefined = unnamed (parsed every time). */
  name: string | undefined
  text: string
  values: readonly unknown[]
}

export interface PgResult {
  rows: unknown[]
  rowCount: number | null
}

interface PgQuery {
  callback?: (error: Error | null, results?: PgResult | PgResult[]) => void
  handleError(error: Error, connection: Connection): void
  handleReadyForQuery(connection: Connection): void
}

interface Connection {
  parsedStatements: Record<string, string>
  submittedNamedStatements?: Record<string, string>
  stream: { cork?: () => void; uncork?: () => void }
  parse(message: { text: string; name?: string }): void
  bind(message: { statement?: string; portal?: string; values: readonly unknown[]; valueMapper: unknown }): void
  describe(message: { type: 'P'; name: string }): void
  execute(message: { portal: string; rows?: number }): void
  sync(): void
  on(event: 'parseComplete', listener: () => void): void
  off(event: 'parseComplete', listener: () => void): void
}

class PipelinedQuery extends Query {
  private awaitingParse: Step[] = []
  private connection: Connection | undefined
  private readonly onParseComplete = () => {
    const step = this.awaitingParse.shift()
    if (step?.name && this.connection) {
      this.connection.parsedStatements[step.name] = step.text
      delete this.connection.submittedNamedStatements?.[step.name]
    }
  }

  constructor(private readonly steps: readonly Step[]) {
    super({ text: steps[steps.length - 1]!.text })
  }

  submit(connection: Connection): null {
    this.connection = connection
    connection.on('parseComplete', this.onParseComplete)
    connection.stream.cork?.()
    try {
      for (const step of this.steps) this.writeStep(connection, step)
      connection.sync()
    } finally {
      connection.stream.uncork?.()
    }
    return null
  }

  private writeStep(connection: Connection, step: Step): void {
    const known =
      step.name !== undefined &&
      (step.name in connection.parsedStatements || step.name in (connection.submittedNamedStatements ?? {}))
    if (!known) {
      connection.parse({ text: step.text, name: step.name })
      this.awaitingParse.push(step)
      if (step.name) {
        connection.submittedNamedStatements ??= {}
        connection.submittedNamedStatements[step.name] = step.text
      }
    }
    connection.bind({ statement: step.name, values: step.values, valueMapper: utils.prepareValue })
    connection.describe({ type: 'P', name: '' })
    connection.execute({ portal: '' })
  }

  override handleError(error: Error, connection: Connection): void {
    connection.off('parseComplete', this.onParseComplete)
    // The server skipped everything after the failing message, so statements still awaiting
    // their parseComplete were never created: forget them, or the next use would skip Parse.
    for (const step of this.awaitingParse) if (step.name) delete connection.submittedNamedStatements?.[step.name]
    this.awaitingParse = []
    super.handleError(error, connection)
  }

  override handleReadyForQuery(connection: Connection): void {
    connection.off('parseComplete', this.onParseComplete)
    super.handleReadyForQuery(connection)
  }
}

/** Runs the steps in one round trip and resolves with the last step's result. */
export function runPipeline(client: { query(query: unknown): unknown }, steps: readonly Step[]): Promise<PgResult> {
  return new Promise((resolve, reject) => {
    const query = new PipelinedQuery(steps)
    query.callback = (error, results) => {
      if (error) return reject(error)
      const list = Array.isArray(results) ? results : [results!]
      resolve(list[list.length - 1]!)
    }
    client.query(query)
  })
}
