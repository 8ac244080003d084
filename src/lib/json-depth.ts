import { AppError } from '../errors/index.ts'

// How deeply a JSON value nests, measured without recursion: what refuses deep bodies must not
// itself run out of stack on them. A scalar has depth 0, `{}` and `[]` depth 1, `{"a":[]}` depth 2.

/**
 * The deepest JSON a request body may be. The deepest body the API itself needs is a configuration
 * value inside `{"value": …}` or branding inside `{"settings": {"branding": …}}`: a handful of
 * levels, and real configuration documents (feature trees, JSON Schemas) stay under twenty. 64
 * leaves room for those, and is far below where recursive code breaks: schema validation, the
 * response serializers, JSON.stringify and the export overflow the stack at a few thousand.
 */
export const MAX_JSON_DEPTH = 64

/**
 * True when the JSON text nests deeper than `limit`, read in one pass over the characters
 * (brackets inside strings do not count). Meant to run before JSON.parse: a text that is not JSON
 * gets an answer too, and the parser then refuses it.
 */
export function jsonTextExceedsDepth(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash escapes the next character (\" among them)
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

/** The nesting depth of a parsed value (objects and arrays; everything else is a leaf). */
export function jsonValueDepth(value: unknown): number {
  let deepest = 0
  const pending: [unknown, number][] = [[value, 0]]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next
    if (item === null || typeof item !== 'object') continue
    const inner = depth + 1
    if (inner > deepest) deepest = inner
    for (const child of Array.isArray(item) ? item : Object.values(item)) pending.push([child, inner])
  }
  return deepest
}

/** The refusal of JSON past a depth limit, wherever it arrives (a body, a value in an import file). */
export const jsonTooDeep = (what: string, limit = MAX_JSON_DEPTH, details: Record<string, unknown> = {}) =>
  new AppError('json_too_deep', `${what} nests JSON more than ${limit} levels deep (objects and arrays inside each other); flatten it`, { limit, ...details })
