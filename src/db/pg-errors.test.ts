import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailable, translateDatabaseError } from './pg-errors.ts'

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code })

describe('a database that cannot be reached', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    ['an administrator shutdown', withCode('57P01')],
    ['a crash shutdown', withCode('57P02')],
    ['a server starting up', withCode('57P03')],
    ['no connection slots', withCode('53300')],
    ['a connection exception (class 08)', withCode('08006')],
    ['pg: the server went away', new Error('Connection terminated unexpectedly')],
    ['pg-pool: no connection in time', new Error('timeout exceeded when trying to connect')],
    ['the embedded database closed', new Error('database is closed')],
    ['every address refused', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])],
  ])('%s is 503 service_unavailable with retry_after', (_name, error) => {
    expect(translateDatabaseError(error)).toMatchObject({ code: 'service_unavailable', details: { retry_after: 5 } })
  })

  it('is not a failed statement, nor an HTTP client failing elsewhere', () => {
    expect(isDatabaseUnavailable(withCode('23505'))).toBe(false)
    expect(isDatabaseUnavailable(withCode('42P01'))).toBe(false)
    expect(isDatabaseUnavailable(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }))).toBe(false)
  })
})
