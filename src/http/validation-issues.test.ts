import { describe, expect, it } from 'vitest'
import type { FastifySchemaValidationError } from 'fastify'
import { validationDetail, validationIssues } from './validation-issues.ts'

const error = (keyword: string, instancePath: string, params: Record<string, unknown>, message: string): FastifySchemaValidationError =>
  ({ keyword, instancePath, schemaPath: '#', params, message }) as FastifySchemaValidationError

describe('validationIssues', () => {
  it('a union of literals is one issue listing them', () => {
    const issues = validationIssues([
      error('const', '/plan', { allowedValue: 'basic' }, 'must be equal to constant'),
      error('const', '/plan', { allowedValue: 'premium' }, 'must be equal to constant'),
      error('anyOf', '/plan', {}, 'must match a schema in anyOf'),
    ], 'body')
    expect(issues).toEqual([{ path: 'body/plan', message: 'must be one of: "basic", "premium"' }])
  })

  it('a union mixing a literal with another type keeps ajv messages rather than a partial list', () => {
    const issues = validationIssues([
      error('const', '/limit', { allowedValue: 'auto' }, 'must be equal to constant'),
      error('type', '/limit', { type: 'integer' }, 'must be integer'),
      error('anyOf', '/limit', {}, 'must match a schema in anyOf'),
    ], 'body')
    expect(issues.map((issue) => issue.message)).toEqual(['must be equal to constant', 'must be integer', 'must match a schema in anyOf'])
  })

  it('an unknown property gets its own path, escaped as a JSON Pointer', () => {
    const issues = validationIssues([error('additionalProperties', '/settings', { additionalProperty: 'a/b~c' }, 'must NOT have additional properties')], 'body')
    expect(issues).toEqual([{ path: 'body/settings/a~1b~0c', message: 'unknown property "a/b~c"' }])
    expect(validationDetail(issues)).toBe('body/settings/a~1b~0c unknown property "a/b~c"')
  })
})
