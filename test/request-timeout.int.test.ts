// A client that sends its headers and then trickles the body a byte at a time used to keep its
// connection and request open forever (issue 18 item 5). REQUEST_TIMEOUT_MS bounds receiving a
// request: past it the server answers 408 and closes the connection.
import { connect, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'

let api: TestApi
let port: number
beforeAll(async () => {
  api = await createTestApi({ REQUEST_TIMEOUT_MS: '500' })
  await api.app.listen({ host: '127.0.0.1', port: 0 })
  port = (api.app.server.address() as AddressInfo).port
})
afterAll(async () => api?.close())

it('closes a connection that trickles its body, answering 408', async () => {
  const socket = connect({ host: '127.0.0.1', port })
  let answer = ''
  socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk))
  const closed = new Promise<boolean>((resolve) => socket.once('close', () => resolve(true)))
  socket.write('POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{')
  // One byte every 100 ms, at most 150 of them (15 s): far longer than the timeout, bounded anyway.
  let sent = 0
  const trickle = setInterval(() => {
    if (socket.destroyed || ++sent > 150) return clearInterval(trickle)
    socket.write(' ')
  }, 100)
  const outcome = await Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000))])
  clearInterval(trickle)
  socket.destroy()
  expect(outcome, 'the server kept the connection open').toBe(true)
  if (answer !== '') expect(answer).toMatch(/^HTTP\/1\.1 408 /)
}, 20_000)

it('still answers requests sent at once', async () => {
  const response = await fetch(`http://127.0.0.1:${port}/health/live`)
  expect(response.status).toBe(200)
})
