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
  const allowed = new Map<string, unknown[]>()
  for (const error of errors) {
    const values = error.keyword === 'const' ? [error.params.allowedValue] : error.keyword === 'enum' ? (error.params.allowedValues as unknown[]) : undefined
    if (values) allowed.set(error.instancePath, [...(allowed.get(error.instancePath) ?? []), ...values])
  }
  const issues: ValidationIssue[] = []
  const seen = new Set<string>()
  for (const error of errors) {
    const path = `${context}${error.instancePath}`
    const values = allowed.get(error.instancePath)
    let issue: ValidationIssue
    if (error.keyword === 'additionalProperties') {
      const name = String(error.params.additionalProperty)
      issue = { path: `${path}/${name}`, message: `unknown property "${name}"` }
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

/** The problem's detail: every issue, path first, in one line. */
export function validationDetail(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path} ${issue.message}`).join('; ')
}
