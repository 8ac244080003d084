import { AppError } from '../errors/index.ts'

/** Messages for constraints a caller can violate, by constraint name (the one place they live). */
const constraintMessages: Record<string, { code: 'already_exists' | 'validation_failed' | 'conflict'; message: string }> = {
  tenants_slug_key: { code: 'already_exists', message: 'a tenant with this slug already exists' },
  tenants_slug_format: { code: 'validation_failed', message: 'slug must be a DNS label: 3-63 lowercase letters, digits and inner hyphens' },
  tenant_roles_tenant_id_lower_name_key: { code: 'already_exists', message: 'a role with this name already exists' },
  // Two lookalike names created at once: the second finds the first only here (D77).
  tenant_roles_tenant_id_name_skeleton_key: { code: 'already_exists', message: 'a role whose name reads the same already exists' },
  users_email_key: { code: 'already_exists', message: 'a user with this email already exists' },
  inventory_items_tenant_id_item_code_key: { code: 'already_exists', message: 'an item with this item_code already exists' },
  // Stock changes are conditional updates; this check is the database's last word if one is not.
  inventory_items_quantity_check: { code: 'conflict', message: 'stock cannot go below zero' },
  // Raised by deleting an item that order lines refer to (there is no ON DELETE: orders keep their items).
  order_lines_item_fkey: { code: 'conflict', message: 'orders refer to this item, so it cannot be deleted' },
  orders_tenant_id_order_number_key: { code: 'already_exists', message: 'an order with this order_number already exists' },
}

interface PgLikeError {
  code?: unknown
  constraint?: unknown
  message?: unknown
  errors?: unknown
}

// When a client that met an unavailable database may try again: a restart or a failover takes seconds.
export const DATABASE_RETRY_AFTER_SECONDS = 5

// The ways "the database is not there" reaches a query, from either driver. The socket's errors
// (a server down, a connection cut), PostgreSQL's shutdown and connection classes (57P01 admin
// shutdown, 57P02 crash, 57P03 starting up, 53300 no connection slots, class 08 connection
// exceptions), and the messages pg and the embedded database give without a code.
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // pg: the server closed the connection (unexpectedly, or on a connect timeout)
  /^timeout exceeded when trying to connect$/, // pg-pool: no connection within connectionTimeoutMillis
  /^Client has encountered a connection error and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/, // shutting down
  /^database is closed$/, // the embedded database after close (pglite-database.ts)
  /^PGlite is closed$/,
]

/**
 * Whether the error says the database cannot be reached, rather than that a statement failed:
 * every such error is one answer, 503 service_unavailable with Retry-After. Only the error itself
 * (and the attempts of an AggregateError, one per address) is read, never its `cause`: an HTTP
 * client's ECONNREFUSED (a fetch to an identity provider) is not the database's.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { code, message, errors } = error as PgLikeError
  if (typeof code === 'string' && (UNAVAILABLE_SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true
  return error instanceof AggregateError && Array.isArray(errors) && errors.some(isDatabaseUnavailable)
}

/**
 * Translates a PostgreSQL error into an AppError when it is the caller's fault (a constraint),
 * or undefined when it is ours (a bug, an outage) and should surface as a 500/503.
 */
export function translateDatabaseError(error: unknown): AppError | undefined {
  if (isDatabaseUnavailable(error)) {
    return new AppError('service_unavailable', 'the database is unavailable; retry shortly', { retry_after: DATABASE_RETRY_AFTER_SECONDS }, { cause: error })
  }
  if (typeof error !== 'object' || error === null) return undefined
  const { code, constraint } = error as PgLikeError
  if (typeof code !== 'string') return undefined
  const known = typeof constraint === 'string' ? constraintMessages[constraint] : undefined
  if (known) return new AppError(known.code, known.message, { constraint }, { cause: error })
  switch (code) {
    case '23505':
      return new AppError('already_exists', 'a record with these values already exists', undefined, { cause: error })
    case '23503':
      return new AppError('conflict', 'the record refers to, or is referred to by, another record', undefined, { cause: error })
    case '23514':
    case '23502':
    case '22P02':
    case '22001':
    case '22003':
    case '22007':
    case '22008':
      return new AppError('validation_failed', 'a value is out of range or malformed', undefined, { cause: error })
    case '22021':
    case '22P05':
      // PostgreSQL text and jsonb cannot hold NUL (U+0000) or bytes that are not UTF-8.
      return new AppError('validation_failed', 'a value contains a character that cannot be stored (such as U+0000)', undefined, { cause: error })
    case '42501':
      // Row-level security refused the row: never reveal whether the other tenant's row exists.
      return new AppError('forbidden', 'the row is outside the current tenant', undefined, { cause: error })
    case '40001':
    case '40P01':
      return new AppError('conflict', 'a concurrent change conflicted with this one; retry', undefined, { cause: error })
    default:
      return undefined
  }
}
