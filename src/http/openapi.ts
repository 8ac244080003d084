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

const ALWAYS: ErrorCode[] = ['validation_failed', 'rate_limited', 'internal_error']

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
