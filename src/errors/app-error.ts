import { errorStatus, type ErrorCode } from './error-status.ts'

/**
 * The one error type services throw. It carries a stable code (never an HTTP class); the HTTP
 * layer renders it as problem+json. `details` is safe to show to the caller; never put secrets in it.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.code = code
    this.details = details
    this.name = 'AppError'
  }

  get status(): number {
    return errorStatus[this.code]
  }
}

export const notFound = (resource: string, id?: string) =>
  new AppError('not_found', id ? `${resource} ${id} was not found` : `${resource} was not found`, { resource })
