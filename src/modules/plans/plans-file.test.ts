import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../config/index.ts'
import { DEFAULT_PLANS_FILE, loadPlanCatalog } from './plans-file.ts'

const dir = mkdtempSync(join(tmpdir(), 'tenantry-plans-'))
const shipped = () => JSON.parse(readFileSync(DEFAULT_PLANS_FILE, 'utf8'))
const problemsOf = (content: unknown): string[] => {
  const file = join(dir, `plans-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  try {
    loadPlanCatalog(file)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).problems.map((line) => line.replace(file, '<file>'))
  }
  return []
}

describe('the shipped catalogue (DESIGN §11)', () => {
  const catalog = loadPlanCatalog(undefined)
  const GiB = 1024 ** 3

  it('has the limits of seed 004', () => {
    const of = (limit: string) => ['basic', 'premium', 'enterprise', 'custom'].map((plan) => (catalog as any)[plan].limits[limit])
    expect(of('max_users')).toEqual([100, 1_000, 10_000, null])
    expect(of('api_requests_per_day')).toEqual([1_000, 10_000, 100_000, null])
    expect(of('max_storage_bytes')).toEqual([10 * GiB, 100 * GiB, 1024 * GiB, 10 * 1024 * GiB])
    expect(of('session_timeout_minutes')).toEqual([60, 120, 240, 240])
  })

  it('has password policies of 8, 10 and 12 characters with every composition rule', () => {
    for (const [plan, length] of [['basic', 8], ['premium', 10], ['enterprise', 12]] as const) {
      expect(catalog[plan].password_policy).toEqual({ min_length: length, require_uppercase: true, require_lowercase: true, require_digit: true, require_symbol: true })
    }
  })

  it('is frozen', () => {
    expect(() => {
      ;(catalog.basic.limits as { max_users: number | null }).max_users = 1
    }).toThrow()
  })
})

describe('a plans file', () => {
  it('is used as written', () => {
    const plans = shipped()
    plans.plans.basic.limits.max_users = 7
    plans.plans.basic.features.webhooks = true
    const file = join(dir, 'custom.json')
    writeFileSync(file, JSON.stringify(plans))
    const catalog = loadPlanCatalog(file)
    expect(catalog.basic.limits.max_users).toBe(7)
    expect(catalog.basic.features.webhooks).toBe(true)
  })

  it('names the file and the path of every bad value, one line each', () => {
    const plans = shipped()
    plans.plans.basic.limits.max_users = -1
    plans.plans.premium.password_policy.min_length = 4
    plans.plans.enterprise.features.teleport = true
    delete plans.plans.custom.limits.session_timeout_minutes
    expect(problemsOf(plans).sort()).toEqual([
      'PLANS_FILE <file>: /plans/basic/limits/max_users: must be >= 0',
      'PLANS_FILE <file>: /plans/premium/password_policy/min_length: must be >= 8',
      'PLANS_FILE <file>: /plans/enterprise/features: unknown key teleport',
      'PLANS_FILE <file>: /plans/custom/limits: missing session_timeout_minutes',
    ].sort())
  })

  it('defines exactly the four plans (tenants.plan allows no other)', () => {
    const plans = shipped()
    plans.plans.gold = plans.plans.basic
    delete plans.plans.custom
    expect(problemsOf(plans).sort()).toEqual(['PLANS_FILE <file>: /plans: missing custom', 'PLANS_FILE <file>: /plans: unknown key gold'])
  })

  it('refuses a file that is missing or not JSON', () => {
    expect(problemsOf('{ "plans": ')[0]).toMatch(/^PLANS_FILE <file>: .*JSON/)
    expect(() => loadPlanCatalog(join(dir, 'absent.json'))).toThrow(/PLANS_FILE .*absent\.json: no such file/)
  })
})
