// Maps SQL text to a stable prepared-statement name, so each pooled connection parses a
// statement once and then only binds and executes it. Repository SQL is static, so the set is
// small; past the cap (dynamic SQL somewhere) new texts run unnamed instead of growing every
// connection's statement cache without bound.
const MAX_NAMED_STATEMENTS = 2000

const names = new Map<string, string>()

export function statementName(text: string): string | undefined {
  const known = names.get(text)
  if (known !== undefined) return known
  if (names.size >= MAX_NAMED_STATEMENTS) return undefined
  const name = `tenantry_${names.size + 1}`
  names.set(text, name)
  return name
}
