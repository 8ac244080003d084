// The web console (/console, DESIGN §9): served with its own CSP, and used in a real browser
// (playwright-core driving Debian's Chromium, DESIGN §1) against the real app on 127.0.0.1:
// sign in, members, API keys, the audit log; what a tenant stored is shown as text, never run.
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const HOSTILE_NAME = '<img src=x onerror="window.__xss=1">'

let api: TestApi
let baseUrl: string

beforeAll(async () => {
  api = await createTestApi()
  baseUrl = await api.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(() => api?.close())

describe('GET /console', () => {
  it('serves the page and its assets with a CSP that allows only this origin, and no inline script', async () => {
    const redirect = await api.app.inject({ url: '/console' })
    expect(redirect.statusCode).toBe(302)
    expect(redirect.headers.location).toBe('/console/')

    const page = await api.app.inject({ url: '/console/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(page.headers['x-frame-options']).toBe('DENY')
    // Every script comes from a file: nothing inline for an injected string to join.
    const scripts = [...page.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.length).toBeGreaterThan(0)
    for (const [, attributes, content] of scripts) {
      expect(attributes).toMatch(/\bsrc="\/console\//)
      expect(content!.trim()).toBe('')
    }
    expect(page.body).not.toMatch(/\son[a-z]+=/i) // no inline event handlers

    for (const [url, type] of [['/console/console.js', 'text/javascript'], ['/console/console.css', 'text/css']] as const) {
      const asset = await api.app.inject({ url })
      expect(asset.statusCode).toBe(200)
      expect(asset.headers['content-type']).toContain(type)
    }
    // The API keeps its own, stricter policy; nothing else is served under /console.
    expect((await api.app.inject({ url: '/api/v1/auth/me' })).headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'")
    expect((await api.app.inject({ url: '/console/secrets.json' })).statusCode).toBe(404)
  })
})

describe.runIf(existsSync(CHROMIUM))('the console in a browser', () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })

  async function signIn(email: string, tenant: string): Promise<{ page: Page; problems: string[] }> {
    const page = await (await browser.newContext()).newPage()
    // A CSP violation or script error shows up as a console error: the test fails on any.
    const problems: string[] = []
    page.on('console', (message) => message.type() === 'error' && !message.text().includes('status of 4') && problems.push(message.text()))
    page.on('pageerror', (error) => problems.push(error.message))
    await page.goto(`${baseUrl}/console`)
    await page.fill('#login-form [name=email]', email)
    await page.fill('#login-form [name=password]', PASSWORD)
    await page.fill('#login-form [name=tenant]', tenant)
    await page.click('#login-form button[type=submit]')
    await page.waitForSelector('#app-view:not([hidden])')
    return { page, problems }
  }

  it('lets a tenant Admin manage members and keys and read the audit log, showing stored text as text', async () => {
    const org = await api.signUp()
    const hostile = await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(org.token), payload: { email: `hostile-${Date.now()}@example.test`, name: HOSTILE_NAME, role: 'Analyst' } })
    expect(hostile.statusCode).toBe(201)

    const { page, problems } = await signIn(org.email, org.slug)
    await expect.poll(() => page.textContent('#tenant-summary')).toContain(org.slug)
    const members = page.locator('[data-panel=members] tbody')
    await expect.poll(() => members.textContent()).toContain(HOSTILE_NAME) // the markup, as text
    expect(await page.locator('[data-panel=members] img').count()).toBe(0)
    expect(await page.evaluate('window.__xss')).toBeUndefined() // a string: evaluated in the page, not typechecked here

    const invited = `invited-${Date.now()}@example.test`
    await page.fill('#member-form [name=email]', invited)
    await page.selectOption('#member-form [name=role]', 'Manager')
    await page.click('#member-form button[type=submit]')
    await expect.poll(() => members.textContent()).toContain(invited)
    expect(await page.textContent('#message')).toContain('invitation token')
    const listed = (await api.app.inject({ url: '/api/v1/members', headers: bearer(org.token) })).json().data
    expect(listed.find((m: { email: string }) => m.email === invited)).toMatchObject({ role: 'Manager', status: 'invited' })

    await page.click('#tabs [data-tab=keys]')
    await page.fill('#key-form [name=name]', 'console key')
    await page.selectOption('#key-form [name=role]', 'Analyst')
    await page.click('#key-form button[type=submit]')
    // The message still shows the invitation until the key's answer replaces it.
    await expect.poll(() => page.textContent('#message')).toContain('Key console key created')
    const key = (await page.textContent('#message code.secret'))!
    expect(key).not.toMatch(/^inv_/)
    expect((await api.app.inject({ url: '/api/v1/inventory', headers: bearer(key) })).statusCode).toBe(200) // the key shown works
    await expect.poll(() => page.textContent('[data-panel=keys] tbody')).toContain('console key')

    await page.click('#tabs [data-tab=audit]')
    await expect.poll(() => page.textContent('[data-panel=audit] tbody')).toContain('api_key.created')
    expect(await page.textContent('[data-panel=audit] tbody')).toContain('member.added')
    await page.click('#verify-chain')
    await expect.poll(() => page.textContent('#chain-result')).toMatch(/^intact: \d+ entries checked$/)

    await page.click('#logout')
    await page.waitForSelector('#login-view:not([hidden])')
    expect(await page.evaluate('sessionStorage.length')).toBe(0)
    expect(problems).toEqual([])
  }, 60_000)

  it("shows an Analyst only what their role may do, and a wrong password as the API's problem", async () => {
    const org = await api.signUp()
    const analyst = await api.addMember(org.token, 'Analyst')
    const { page, problems } = await signIn(analyst.email, org.slug)
    expect(await page.isHidden('#member-form')).toBe(true) // no users:write
    expect(await page.isHidden('#tabs [data-tab=keys]')).toBe(true) // no api_keys:read
    await page.click('#logout')

    await page.fill('#login-form [name=email]', analyst.email)
    await page.fill('#login-form [name=password]', 'not the password')
    await page.click('#login-form button[type=submit]')
    await expect.poll(() => page.textContent('#message')).toContain('invalid_credentials')
    expect(await page.isHidden('#app-view')).toBe(true)
    expect(problems).toEqual([])
  }, 60_000)
})
