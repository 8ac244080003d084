// Keys whose values never enter an audit entry (or a log line): credentials and their hashes.
const SECRET_KEY = /pass(word)?|secret|token|api_?key|key_hash|password_hash|authorization|cookie|private|credential|encrypted_value|wrapped_key/i
const REDACTED = '[redacted]'

/** A deep copy with secret-looking keys replaced; bounded depth so a cycle cannot hang it. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return REDACTED
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1))
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1)]))
  }
  return value
}
