import { Type } from 'typebox'
import { errorStatus, type ErrorCode } from '../errors/index.ts'

/** RFC 9457 body every error has; extensions (errors, limit, permission …) pass through. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
)

// service_unavailable: any route that reads the database answers it while the database cannot be reached.
const ALWAYS: ErrorCode[] = ['validation_failed', 'rate_limited', 'internal_error', 'service_unavailable']

/**
 * Response schemas for the error codes a route can answer, grouped by status, so /openapi.json
 * lists them ("400: validation_failed, invalid_json").
 */
export function problemResponses(...codes: ErrorCode[]): Record<number, unknown> {
  const byStatus = new Map<number, Set<string>>()
  for (const code of [...codes, ...ALWAYS]) {
    const status = errorStatus[code]
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code))
  }
  // quota_exceeded is 403 for max_users/max_items, but the daily request quota of a tenant route
  // answers it with 429 (src/modules/rate-limits): the one code with two statuses.
  if (codes.includes('tenant_required')) byStatus.get(errorStatus.rate_limited)!.add('quota_exceeded (api_requests_per_day)')
  return Object.fromEntries(
    [...byStatus].map(([status, set]) => [status, { ...ProblemSchema, description: `application/problem+json; code: ${[...set].join(', ')}` }]),
  )
}

/** The errors every authenticated route can answer. */
export const AUTH_ERRORS: ErrorCode[] = ['unauthorized', 'invalid_token', 'account_disabled']
export const TENANT_ERRORS: ErrorCode[] = [...AUTH_ERRORS, 'tenant_required', 'tenant_access_denied', 'tenant_mismatch', 'tenant_suspended', 'membership_suspended', 'permission_denied']
export const PLATFORM_ERRORS: ErrorCode[] = [...AUTH_ERRORS, 'forbidden']

type Operations = Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown> }> }>>

/**
 * Every error is sent as `application/problem+json` (error-handler.ts), but @fastify/swagger
 * describes each response schema as `application/json`. Declaring the media type in the route
 * schemas instead would make Fastify pick its serializer by the reply's content type, for every
 * error of every route; so the document is corrected where it is built, and nothing at run time
 * changes.
 */
export function describeErrorsAsProblemJson<T extends { paths?: unknown }>(document: T): T {
  for (const operations of Object.values((document.paths ?? {}) as Operations)) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const json = response.content?.['application/json']
        if (!/^[45]/.test(status) || json === undefined) continue
        response.content = { 'application/problem+json': json }
      }
    }
  }
  return document
}
