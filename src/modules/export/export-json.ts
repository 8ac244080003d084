// JSON for export rows. JSON.stringify recurses: a stored value a few thousand levels deep (older
// than the request depth limit, or written straight into the database) overflows the stack and
// used to cut the export short. Such a row is written by an explicit-stack writer instead, so
// the file still holds every row and its end record, whatever a value's depth.

/** Every driver's values: bytes as base64, 64-bit integers as strings (dates via their toJSON). */
function replacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  // Buffer.toJSON runs before the replacer sees it.
  if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return Buffer.from((v as { data: number[] }).data).toString('base64')
  return v
}

export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value, replacer)
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
    return stringifyWithoutRecursion(value)
  }
}

interface Frame {
  entries: [string, unknown][]
  array: boolean
  next: number
  written: number
}

/** JSON.stringify's output (toJSON, then the replacer; undefined left out, or null in arrays) with a heap stack. */
export function stringifyWithoutRecursion(root: unknown): string {
  const parts: string[] = []
  const stack: Frame[] = []
  const visit = (key: string, raw: unknown, parent: Frame | undefined) => {
    const withToJson = raw !== null && typeof raw === 'object' && typeof (raw as { toJSON?: unknown }).toJSON === 'function' ? (raw as { toJSON(key: string): unknown }).toJSON(key) : raw
    const value = replacer(key, withToJson)
    const absent = value === undefined || typeof value === 'function' || typeof value === 'symbol'
    if (absent && !parent?.array) return
    if (parent && parent.written++ > 0) parts.push(',')
    if (parent && !parent.array) parts.push(JSON.stringify(key), ':')
    if (absent) parts.push('null')
    else if (value !== null && typeof value === 'object') {
      const array = Array.isArray(value)
      parts.push(array ? '[' : '{')
      stack.push({ entries: array ? value.map((item, i) => [String(i), item]) : Object.entries(value), array, next: 0, written: 0 })
    } else parts.push(JSON.stringify(value))
  }
  visit('', root, undefined)
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    if (frame.next === frame.entries.length) {
      parts.push(frame.array ? ']' : '}')
      stack.pop()
      continue
    }
    const [key, value] = frame.entries[frame.next++]!
    visit(key, value, frame)
  }
  return parts.join('')
}
