import { errorStatus, errorTitle, type ErrorCode } from './error-status.ts'

/** RFC 9457 problem details, with Tenantry's stable `code` and the request id for support. */
export interface Problem {
  type: string
  title: string
  status: number
  code: ErrorCode
  detail: string
  instance?: string
  request_id?: string
  [extension: string]: unknown
}

export function problem(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): Problem {
  // Extensions first: a detail named `status` or `code` must never overwrite the standard fields.
  return {
    ...extra,
    type: `https://tenantry.dev/problems/${code.replaceAll('_', '-')}`,
    title: errorTitle[code],
    status: errorStatus[code],
    code,
    detail,
  }
}
