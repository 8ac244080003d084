import { dbQueryDurationSeconds } from './metrics.ts'

/** The closed set of db_query_duration_seconds{operation} values. */
export type QueryOperation = 'select' | 'insert' | 'update' | 'delete' | 'commit' | 'rollback' | 'other'

const OPERATIONS: readonly QueryOperation[] = ['select', 'insert', 'update', 'delete', 'commit', 'rollback', 'other']

// Every operation is exported from the start (zero-valued), so dashboards and rate() see a
// series before the first statement; bound children spare the hot path a labels object.
const byOperation = new Map<QueryOperation, { observe(value: number): void }>(
  OPERATIONS.map((operation) => {
    dbQueryDurationSeconds.zero({ operation })
    return [operation, dbQueryDurationSeconds.labels(operation)]
  }),
)

// Repository SQL is static, so the texts are few; past the cap (dynamic SQL somewhere) texts are
// classified each time instead of growing the cache without bound.
const MAX_CACHED_TEXTS = 2000
const classified = new Map<string, QueryOperation>()

/**
 * Records one statement's duration (started = performance.now() before it was sent). The text's
 * classification is cached, so the hot path is a map lookup, a subtraction and an observe.
 */
export function observeQuery(text: string, started: number): void {
  const seconds = (performance.now() - started) / 1000
  let operation = classified.get(text)
  if (operation === undefined) {
    operation = classifyStatement(text)
    if (classified.size < MAX_CACHED_TEXTS) classified.set(text, operation)
  }
  byOperation.get(operation)!.observe(seconds)
}

const VERBS = new Set(['select', 'insert', 'update', 'delete', 'commit', 'rollback'])
const WORD = /[a-z_]+/y

/**
 * The statement's verb. A leading WITH is skipped to the verb of the main statement (the first
 * verb outside parentheses after the CTE list); comments and string literals are ignored.
 */
export function classifyStatement(text: string): QueryOperation {
  const sql = text.toLowerCase()
  let depth = 0
  let first = true
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      i = end < 0 ? sql.length : end
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      i = end < 0 ? sql.length : end + 1
    } else if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1)
      i = end < 0 ? sql.length : end
    } else if (c === '(') depth++
    else if (c === ')') depth--
    else if (c >= 'a' && c <= 'z' && (i === 0 || !/[a-z0-9_$]/.test(sql[i - 1]!))) {
      WORD.lastIndex = i
      const word = WORD.exec(sql)![0]
      if (depth === 0 && VERBS.has(word)) return word as QueryOperation
      if (first && word !== 'with') return word === 'values' || word === 'table' ? 'select' : 'other'
      first = false
      i += word.length - 1
    }
  }
  return 'other'
}
