import { Type } from 'typebox'
import { AppError } from '../errors/index.ts'

/** `?limit=&cursor=` on every list; the cursor is opaque to callers. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
}

export const pageOf = <T extends import('typebox').TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) })

/**
 * Keyset position: the sort timestamp as PostgreSQL prints it (microseconds and offset: a JS
 * Date would keep milliseconds and skip rows that share one) and the id of the last row.
 */
export interface Position {
  at: string
  id: string
}

const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url')
}

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    if (typeof at === 'string' && typeof id === 'string' && TIMESTAMP_TEXT.test(at) && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return { at, id }
  } catch {
    // fall through
  }
  throw new AppError('validation_failed', 'cursor is not one this API returned')
}

/**
 * Cuts the extra row (fetched to know whether more exist), makes the next cursor from the last
 * row's `position` (its sort column selected as text) and drops `position` from the rows.
 */
export function page<Row extends { id: string; position: string }>(rows: Row[], limit: number): { data: Omit<Row, 'position'>[]; next_cursor: string | null } {
  const kept = rows.slice(0, limit)
  const last = kept[kept.length - 1]
  const data = kept.map(({ position: _position, ...row }) => row)
  return { data, next_cursor: rows.length > limit && last ? encodeCursor({ at: last.position, id: last.id }) : null }
}
