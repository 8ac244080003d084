import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino'
import type { Config } from '../config/index.ts'
import { tryGetContext } from '../context/index.ts'

// Header and body fields that carry credentials; pino replaces them before anything is written.
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-super-admin-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.api_key',
  '*.jwt',
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
