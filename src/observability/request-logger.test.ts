import { Writable } from 'node:stream'
import { pino } from 'pino'
import { expect, it } from 'vitest'
import { lazyRequestLogger } from './request-logger.ts'

function capture(level = 'info') {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  const parent = pino({ level }, stream)
  let children = 0
  // Counts children built from the parent (pino children inherit this method: count only those).
  const child = parent.child
  parent.child = function (this: typeof parent, bindings, options) {
    if (this === parent) children += 1
    return child.call(this, bindings, options)
  } as typeof parent.child
  return { parent, lines, children: () => children }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

it('builds no pino child for a request that writes nothing it keeps', async () => {
  const { parent, lines, children } = capture('warn')
  const log = lazyRequestLogger(parent, { request_id: 'r1' }, { level: 'warn' })
  log.info('not kept at warn')
  log.debug({ a: 1 }, 'nor this')
  await tick()
  expect(children()).toBe(0)
  expect(lines).toEqual([])
})

it('writes lines with the request bindings once a level is enabled', async () => {
  const { parent, lines, children } = capture('info')
  const log = lazyRequestLogger(parent, { request_id: 'r2' }, {})
  log.info({ route: '/x' }, 'first')
  log.error('second')
  await tick()
  expect(children()).toBe(1)
  expect(lines).toMatchObject([
    { request_id: 'r2', route: '/x', msg: 'first', level: 30 },
    { request_id: 'r2', msg: 'second', level: 50 },
  ])
})

it('honours a route level stricter than the server level', async () => {
  const { parent, lines } = capture('info')
  const log = lazyRequestLogger(parent, { request_id: 'r3' }, { level: 'error' })
  expect(log.level).toBe('error')
  expect((log as unknown as { isLevelEnabled(level: string): boolean }).isLevelEnabled('info')).toBe(false)
  log.warn('dropped')
  log.error('kept')
  await tick()
  expect(lines.map((line) => line.msg)).toEqual(['kept'])
})

it('child loggers carry the request bindings too', async () => {
  const { parent, lines } = capture('info')
  const log = lazyRequestLogger(parent, { request_id: 'r4' }, {})
  log.child({ part: 'inner' }).info('from a child')
  await tick()
  expect(lines[0]).toMatchObject({ request_id: 'r4', part: 'inner', msg: 'from a child' })
})
