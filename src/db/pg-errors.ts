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
}

/**
 * Translates a PostgreSQL error into an AppError when it is the caller's fault (a constraint),
 * or undefined when it is ours (a bug, an outage) and should surface as a 500/503.
 */
export function translateDatabaseError(error: unknown): AppError | undefined {
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
    case '57P01':
    case '57P03':
    case '08006':
    case '08003':
    case '08001':
      return new AppError('service_unavailable', 'the database is unavailable; retry shortly', undefined, { cause: error })
    default:
      return undefined
  }
}
