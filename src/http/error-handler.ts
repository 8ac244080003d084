import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { TenantContextError } from '../context/index.ts'
import { translateDatabaseError } from '../db/index.ts'
import { AppError, problem, type ErrorCode, type Problem } from '../errors/index.ts'
import { validationDetail, validationIssues } from './validation-issues.ts'

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8'

// Fastify's own errors that are the caller's fault, by Fastify error code.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'validation_failed',
}

// Fastify's messages where they mislead: its JSON parser also refuses valid JSON that would
// poison prototypes, under the same error.
const fastifyDetails: Record<string, (request: FastifyRequest) => string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () => 'the body is not valid JSON, or it holds a "__proto__" or "constructor.prototype" key (refused: prototype poisoning)',
  // Fastify says only "Unsupported Media Type": say what was sent and what to send.
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (request) => {
    const sent = request.headers['content-type']
    return `${sent === undefined ? 'a body without Content-Type' : `Content-Type ${JSON.stringify(sent.slice(0, 80))}`} is not accepted: send the body as application/json`
  },
}

// Errors from plugins that only carry a status (rate limit, etc.).
const statusCodes: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
}

/** Every error leaves as application/problem+json with a stable code; 5xx details stay in the log. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const body = toProblem(error, request)
    if (body.status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: body.code, status: body.status }, body.detail)
    return sendProblem(reply, body)
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!
    const context = { instance: path, request_id: request.id }
    const allowed = allowedMethods(app, request.method, path)
    if (allowed.length === 0) return sendProblem(reply, { ...problem('route_not_found', `no route ${request.method} ${path}`), ...context })
    reply.header('allow', allowed.join(', '))
    return sendProblem(reply, { ...problem('method_not_allowed', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`), ...context })
  })
}

// The methods a 405 may list. OPTIONS is left out: with CORS off (production's default) a
// preflight gets the 404 the CORS plugin would give it (http/plugins.ts).
const ROUTABLE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/**
 * The methods some route answers on `path` (RFC 9110 §15.5.6: 405 with Allow, rather than 404,
 * when the resource exists): `PUT /api/v1/roles/:id` is told to PATCH, not that the role is gone.
 * Runs on unmatched requests only; the router matches the concrete path as it does for routing.
 */
function allowedMethods(app: FastifyInstance, method: string, path: string): string[] {
  if (method === 'OPTIONS') return []
  return ROUTABLE_METHODS.filter((candidate) => candidate !== method && app.findRoute({ method: candidate, url: path }) !== null)
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  if (typeof body.retry_after === 'number') reply.header('retry-after', String(body.retry_after))
  return reply.code(body.status).type(PROBLEM_TYPE).send(body)
}

function toProblem(error: FastifyError, request: FastifyRequest): Problem {
  const context = { instance: request.url.split('?')[0], request_id: request.id }
  if (error instanceof AppError) return { ...problem(error.code, error.message, error.details ?? {}), ...context }
  if (error.validation) {
    const errors = validationIssues(error.validation, error.validationContext ?? 'body')
    return { ...problem('validation_failed', validationDetail(errors), { errors }), ...context }
  }
  const fastifyCode = error.code ? fastifyCodes[error.code] : undefined
  if (fastifyCode) return { ...problem(fastifyCode, fastifyDetails[error.code!]?.(request) ?? error.message), ...context }

  const translated = translateDatabaseError(error)
  if (translated) return { ...problem(translated.code, translated.message, translated.details ?? {}), ...context }

  if (error instanceof TenantContextError) return { ...problem('internal_error', 'An unexpected error occurred'), ...context }
  const status = error.statusCode
  if (status && status >= 400 && status < 500) {
    return { ...problem(statusCodes[status] ?? 'bad_request', error.message), ...context }
  }
  return { ...problem(status === 503 ? 'service_unavailable' : 'internal_error', 'An unexpected error occurred'), ...context }
}

/**
 * Errors the router raises before any hook runs (a malformed URL escape, a path parameter over
 * the length limit): still problem+json with a request id, like every other error.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is malformed'
  reply.header('x-request-id', request.id)
  void sendProblem(reply, { ...problem('bad_request', detail), instance: request.url.split('?')[0], request_id: request.id })
}
