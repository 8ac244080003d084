import { describe, expect, it } from 'vitest'
import { assertLiteralTargetAllowed } from './literal-target.ts'

describe('assertLiteralTargetAllowed', () => {
  it.each(['http://127.0.0.1/', 'http://[::1]/', 'http://[::ffff:7f00:1]/', 'http://0x7f.1/', 'http://2130706433/', 'http://169.254.169.254/', 'http://10.1.2.3/', 'http://localhost:4000/', 'http://db.internal/'])(
    'refuses %s under the strict policy',
    async (url) => {
      await expect(assertLiteralTargetAllowed(new URL(url), false)).rejects.toMatchObject({ code: 'ERR_SSRF_BLOCKED' })
    },
  )

  it.each(['https://93.184.216.34/', 'https://example.com/', 'http://[2606:4700::1111]/'])('lets %s through (names go to the guarded lookup)', async (url) => {
    await expect(assertLiteralTargetAllowed(new URL(url), false)).resolves.toBeUndefined()
  })

  it.each(['http://127.0.0.1:4000/', 'http://localhost:4000/hooks', 'http://db.internal/'])('allows %s with WEBHOOK_ALLOW_PRIVATE_TARGETS', async (url) => {
    await expect(assertLiteralTargetAllowed(new URL(url), true)).resolves.toBeUndefined()
  })
})
