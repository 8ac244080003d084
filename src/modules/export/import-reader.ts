// Reading an export file as a sequence of records (header, rows, end), whatever its format. NDJSON
// is read line by line as it arrives, so memory holds one line and one batch of rows, never the
// file; a JSON document is parsed whole (it has no other boundary), so its size is capped.
import { createHash, type Hash } from 'node:crypto'
import { StringDecoder } from 'node:string_decoder'
import { AppError } from '../../errors/index.ts'
import { jsonTooDeep, jsonValueDepth, MAX_JSON_DEPTH } from '../../lib/json-depth.ts'
import { isPlainObject } from '../../lib/plain-object.ts'

export type ImportRecord =
  | { type: 'header'; header: Record<string, unknown>; at: string }
  | { type: 'row'; table: string; row: Record<string, unknown>; at: string }
  | { type: 'end'; rows: unknown; at: string }

// One line holds one row: a webhook delivery body is at most 256 KiB, JSON-escaped perhaps twice
// that. 8 MiB leaves room and still bounds what a line without a newline can make us hold.
export const MAX_LINE_CHARS = 8 * 1024 * 1024

// The deepest column value an import takes. What the API stores wraps a request body (itself at
// most MAX_JSON_DEPTH) a few levels at most (an event's payload, an audit entry's changes); a value
// thousands deep would overflow the stack on its way into the database and on every read after.
export const IMPORT_VALUE_MAX_DEPTH = 2 * MAX_JSON_DEPTH

/** A file the import refuses: 400 validation_failed, with a stable `reason` and where it was. */
export const invalidFile = (reason: string, message: string, details: Record<string, unknown> = {}) =>
  new AppError('validation_failed', message, { reason, ...details })

/** SHA-256 of every byte read, for the audit entry (which file was imported). */
export class Digest {
  private readonly hash: Hash = createHash('sha256')
  update(chunk: Buffer | string): void {
    this.hash.update(chunk)
  }
  hex(): string {
    return this.hash.digest('hex')
  }
}

/** NDJSON records: one JSON object per line; blank lines are ignored. */
export async function* ndjsonRecords(input: AsyncIterable<Buffer | string>, digest?: Digest): AsyncGenerator<ImportRecord> {
  let n = 0
  for await (const line of lines(input, digest)) {
    n += 1
    if (line.trim() === '') continue
    yield recordOf(parseLine(line, n), `line ${n}`)
  }
}

/** The records of one JSON document: its fields but `data` and `rows` are the header. */
export function* documentRecords(document: unknown): Generator<ImportRecord> {
  if (!isPlainObject(document)) throw invalidFile('malformed_document', 'the JSON document is not an object')
  const { data, rows, ...header } = document
  yield { type: 'header', header, at: 'the document' }
  if (data !== undefined && !isPlainObject(data)) throw invalidFile('malformed_document', '"data" is not an object of tables', { at: 'data' })
  for (const [table, tableRows] of Object.entries(data ?? {})) {
    if (!Array.isArray(tableRows)) throw invalidFile('malformed_document', `data.${table} is not an array of rows`, { at: `data.${table}` })
    for (const [i, row] of tableRows.entries()) {
      const at = `data.${table}[${i}]`
      if (!isPlainObject(row)) throw invalidFile('malformed_line', `${at} is not an object`, { at })
      yield { type: 'row', table, row: refuseDeepValues(row, at), at }
    }
  }
  // Without its counts the document cannot be told from one cut short (the end record of NDJSON).
  if (rows !== undefined) yield { type: 'end', rows, at: 'rows' }
}

async function* lines(input: AsyncIterable<Buffer | string>, digest?: Digest): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  for await (const chunk of input) {
    digest?.update(chunk)
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk)
    let start = 0
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n', start)) {
      yield pending.slice(start, nl)
      start = nl + 1
    }
    pending = pending.slice(start)
    if (pending.length > MAX_LINE_CHARS) throw invalidFile('line_too_long', `a line is longer than ${MAX_LINE_CHARS} characters`)
  }
  pending += decoder.end()
  // A last line without its newline is kept: the records decide whether the file is complete.
  if (pending.length > 0) yield pending
}

function parseLine(line: string, n: number): unknown {
  try {
    return JSON.parse(line)
  } catch {
    throw invalidFile('malformed_line', `line ${n} is not JSON`, { at: `line ${n}` })
  }
}

function refuseDeepValues(row: Record<string, unknown>, at: string): Record<string, unknown> {
  for (const [column, value] of Object.entries(row)) {
    if (jsonValueDepth(value) > IMPORT_VALUE_MAX_DEPTH) throw jsonTooDeep(`${at}: column ${column}`, IMPORT_VALUE_MAX_DEPTH, { at, column })
  }
  return row
}

function recordOf(value: unknown, at: string): ImportRecord {
  if (!isPlainObject(value)) throw invalidFile('malformed_line', `${at} is not a JSON object`, { at })
  const { type, ...rest } = value
  if (type === 'header') return { type, header: rest, at }
  if (type === 'end') return { type, rows: rest.rows, at }
  if (type === 'row') {
    if (typeof rest.table !== 'string' || !isPlainObject(rest.row)) throw invalidFile('malformed_line', `${at}: a row record needs "table" (a string) and "row" (an object)`, { at })
    return { type, table: rest.table, row: refuseDeepValues(rest.row, at), at }
  }
  throw invalidFile('malformed_line', `${at}: "type" must be header, row or end`, { at })
}

