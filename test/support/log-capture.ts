import { Writable } from 'node:stream'
import { createLogger, type Logger } from '../../src/observability/logger.ts'

/** A real pino logger writing JSON lines into memory, for asserting what gets logged. */
export function captureLogs(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString())
      callback()
    },
  })
  const logger = createLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, stream)
  const text = () => chunks.join('')
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}
