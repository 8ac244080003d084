import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

/**
 * Fastify's childLoggerFactory: each request's logger (request.log, reply.log) becomes a pino
 * child with the request id only when it first writes a line. Fastify builds a child for every
 * request, and every route sets a level on it, which makes pino rebuild the child's log methods:
 * a few µs of each read, for a logger that at LOG_LEVEL=warn most requests never use.
 */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger
}

class LazyRequestLogger {
  private logger: Logger | undefined

  private readonly parent: Logger
  private readonly bindings: Bindings
  private readonly options: ChildLoggerOptions

  constructor(
    parent: Logger,
    bindings: Bindings,
    options: ChildLoggerOptions,
  ) {
    this.parent = parent
    this.bindings = bindings
    this.options = options
  }

  get level(): string {
    return this.logger?.level ?? this.options.level ?? this.parent.level
  }

  set level(level: string) {
    this.materialize().level = level
  }

  isLevelEnabled(level: string): boolean {
    if (this.logger) return this.logger.isLevelEnabled(level)
    const values = this.parent.levels.values
    const wanted = values[level]
    return wanted !== undefined && wanted >= values[this.level]!
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args)
  }

  error(...args: unknown[]): void {
    this.write('error', args)
  }

  warn(...args: unknown[]): void {
    this.write('warn', args)
  }

  info(...args: unknown[]): void {
    this.write('info', args)
  }

  debug(...args: unknown[]): void {
    this.write('debug', args)
  }

  trace(...args: unknown[]): void {
    this.write('trace', args)
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.materialize().child(bindings, options)
  }

  private write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return
    ;(this.materialize()[level] as (...a: unknown[]) => void)(...args)
  }

  /** The real pino child, built once. */
  private materialize(): Logger {
    return (this.logger ??= this.parent.child(this.bindings, this.options))
  }
}
