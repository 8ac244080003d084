import { addRouteHook } from './route-hooks.ts'
import type { FastifyInstance, FastifyReply, FastifyRequest, RequestPayload } from 'fastify'
import { AppError } from '../errors/index.ts'
import { jsonTextExceedsDepth, jsonTooDeep, MAX_JSON_DEPTH } from '../lib/json-depth.ts'

/**
 * What request bodies the API takes: JSON only (routes that take more, such as the import's
 * NDJSON, add their own parser), and never compressed.
 * - Fastify parses text/plain by default; no route takes text, and a JSON body sent as text/plain
 *   would reach validation as a string ("body must be object"). It is a 415, as any other type.
 * - Fastify does not decode Content-Encoding: a gzip body would be parsed as if it were plain.
 *   Anything but identity is a 415 (RFC 9110 §15.5.16).
 * - An empty body sent as application/json is no body, not invalid JSON: many clients send the
 *   header on every call, DELETE and bodiless POSTs (suspend, test, rotate) included. A route
 *   that needs a body still refuses it, in validation ("body must be object").
 * - A body nested deeper than MAX_JSON_DEPTH is a 400 json_too_deep before it is parsed: schema
 *   validation, the serializers and the export recurse, and a value thousands of levels deep
 *   stored once would break every later read of it (free JSON: configuration values, settings,
 *   webhook headers, event data).
 */
export function registerBodyRules(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain')
  // Fastify's own JSON parser (prototype poisoning refused) for every non-empty body.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined)
    if (jsonTextExceedsDepth(body as string, MAX_JSON_DEPTH)) return done(jsonTooDeep('the body'))
    parseJson(request, body as string, done)
  })
  // Attached to the routes that take a body as they register: reads run no extra hook.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!methods.some((method) => BODY_METHODS.has(method))) return
    addRouteHook(route, 'preParsing', refuseEncodedBody, 'first')
  })
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

function refuseEncodedBody(request: FastifyRequest, _reply: FastifyReply, payload: RequestPayload, done: (error: Error | null, payload?: RequestPayload) => void): void {
  const encoding = request.headers['content-encoding']
  if (encoding === undefined || encoding.trim().toLowerCase() === 'identity') return done(null, payload)
  done(new AppError('unsupported_media_type', `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: send the body uncompressed`))
}
