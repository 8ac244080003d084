import type { FastifySchemaValidationError } from 'fastify'

export interface ValidationIssue {
  path: string
  message: string
}

/**
 * Ajv's errors (allErrors) as one issue per problem a caller can act on:
 * - an unknown property names itself ("unknown property \"colour\"", its own path);
 * - a closed set of values (TypeBox unions of literals are anyOf of const, one error per branch,
 *   plus the anyOf's own "must match a schema in anyOf") is one issue listing the values allowed;
 * - anything else keeps ajv's message.
 */
export function validationIssues(errors: readonly FastifySchemaValidationError[], context: string): ValidationIssue[] {
  const allowed = closedSets(errors)
  const issues: ValidationIssue[] = []
  const seen = new Set<string>()
  for (const error of errors) {
    const path = `${context}${error.instancePath}`
    const values = allowed.get(error.instancePath)
    let issue: ValidationIssue
    if (error.keyword === 'additionalProperties') {
      const name = String(error.params.additionalProperty)
      // As ajv writes instancePath: a JSON Pointer, so "~" and "/" in a name are escaped.
      issue = { path: `${path}/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`, message: `unknown property "${name}"` }
    } else if (values && (error.keyword === 'const' || error.keyword === 'enum' || error.keyword === 'anyOf')) {
      issue = { path, message: `must be one of: ${values.map((value) => JSON.stringify(value)).join(', ')}` }
    } else {
      issue = { path, message: error.message ?? 'is invalid' }
    }
    const key = `${issue.path}\u0000${issue.message}`
    if (!seen.has(key)) issues.push(issue)
    seen.add(key)
  }
  return issues
}

/**
 * The values allowed at each path whose only errors are const or enum (besides the anyOf that
 * groups them). A path where some branch is of another kind (a literal or an integer) keeps
 * ajv's messages: listing only the literals would misstate what is allowed.
 */
function closedSets(errors: readonly FastifySchemaValidationError[]): Map<string, unknown[]> {
  const allowed = new Map<string, unknown[]>()
  const open = new Set<string>()
  for (const error of errors) {
    const values = error.keyword === 'const' ? [error.params.allowedValue] : error.keyword === 'enum' ? (error.params.allowedValues as unknown[]) : undefined
    if (values) allowed.set(error.instancePath, [...(allowed.get(error.instancePath) ?? []), ...values])
    else if (error.keyword !== 'anyOf') open.add(error.instancePath)
  }
  for (const path of open) allowed.delete(path)
  return allowed
}

/** The problem's detail: every issue, path first, in one line. */
export function validationDetail(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')
}
