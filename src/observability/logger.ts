import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { Config } from '../config/index.ts'
import { tryGetContext } from '../context/index.ts'

// Fields that carry credentials, replaced before a line is written. Nothing logs request bodies
// or headers today (the request line names the route template only); this is the net under a
// future `log.info({ body })` or `log.info({ req })`. Explicit paths only: a wildcard path
// (`*.password`) makes pino walk every object of every line, which measured 5-30 µs a line.
const SECRET_FIELDS = [
  'password',
  'admin_password',
  'current_password',
  'new_password',
  'token',
  'access_token',
  'refresh_token',
  'secret',
  'signing_secret',
  'client_secret',
  'api_key',
  'jwt',
  'authorization',
  'cookie',
  'master_key',
]
const HEADERS = ['authorization', 'cookie', '["x-api-key"]', '["x-super-admin-key"]'].map((name) => (name.startsWith('[') ? name : `.${name}`))
const REDACT_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `body.${field}`),
  ...HEADERS.map((name) => `req.headers${name}`),
  ...HEADERS.map((name) => `headers${name}`),
  'res.headers["set-cookie"]',
]

export function loggerOptions(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>): LoggerOptions {
  return {
    level: config.LOG_LEVEL,
    base: { app: 'tenantry' },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // tenant_id on every line written inside a tenant context (requests and jobs alike).
    mixin: () => {
      const tenantId = tryGetContext()?.tenantId
      return tenantId ? { tenant_id: tenantId } : {}
    },
    ...(config.LOG_FORMAT === 'pretty' ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app' } } } : {}),
  }
}

/** The process logger. Tests pass a destination to capture lines. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>, destination?: DestinationStream): Logger {
  const options = loggerOptions(config)
  if (destination) {
    const { transport: _ignored, ...rest } = options
    return pino(rest, destination)
  }
  return pino(options)
}

export type { Logger } from 'pino'
