import { Type } from 'typebox'
import { AppError } from '../errors/index.ts'

/** `?limit=&cursor=` on every list; the cursor is opaque to callers. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
}

export const pageOf = <T extends import('typebox').TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) })

/** Keyset position: the sort value and the id of the last row of the previous page. */
export interface Position {
  at: string
  id: string
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url')
}

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[]
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at)) && /^[0-9a-f-]{36}$/.test(id)) return { at, id }
  } catch {
    // fall through
  }
  throw new AppError('validation_failed', 'cursor is not one this API returned')
}

/** Cuts one extra row (fetched to know whether more exist) and makes the next cursor. */
export function page<Row extends { id: string }>(rows: Row[], limit: number, at: (row: Row) => Date): { data: Row[]; next_cursor: string | null } {
  const data = rows.slice(0, limit)
  const last = data[data.length - 1]
  return { data, next_cursor: rows.length > limit && last ? encodeCursor({ at: at(last).toISOString(), id: last.id }) : null }
}
