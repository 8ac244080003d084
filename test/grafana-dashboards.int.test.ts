// deploy/grafana/dashboards: Grafana dashboard JSON whose every query names metrics the server
// really exports. Each panel target's PromQL is reduced to its metric names, which must have
// samples in a scrape of the app after traffic (histogram _bucket/_sum/_count map to their
// family; rate()/increase() only on counters and histograms); with promtool on PATH every
// expression must also parse (as a recording rule, Grafana variables substituted).
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quotaExceededTotal, rateLimitedTotal, webhookDeliveriesTotal, webhookDeliveryDurationSeconds, webhookQueueDepth } from '../src/observability/metrics.ts'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { createItem, newOrg } from './support/domain.ts'

const DIR = join(import.meta.dirname, '..', 'deploy', 'grafana', 'dashboards')
const hasPromtool = spawnSync('promtool', ['--version']).error === undefined

interface Target { refId: string; expr: string; datasource?: { uid?: string } }
interface Panel { id: number; type: string; title: string; datasource?: { type?: string; uid?: string }; gridPos?: object; targets?: Target[]; panels?: Panel[] }
interface Dashboard { uid: string; title: string; schemaVersion: number; panels: Panel[]; templating: { list: { name: string; type: string; query: unknown; definition?: string }[] } }

const dashboards = readdirSync(DIR).filter((file) => file.endsWith('.json')).map((file) => ({ file, json: JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Dashboard }))
const panelsOf = (panels: Panel[]): Panel[] => panels.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])])
const allExpressions = () =>
  dashboards.flatMap(({ file, json }) => [
    ...panelsOf(json.panels).flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `${file} › ${panel.title} › ${target.refId}`, expr: target.expr, variable: false }))),
    ...json.templating.list.filter((variable) => variable.type === 'query').map((variable) => ({ where: `${file} › $${variable.name}`, expr: variable.definition ?? '', variable: true })),
  ])

// PromQL words that are not metric names when not followed by "(".
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'inf', 'nan'])

/** The metric names an expression selects: everything but functions, keywords, labels, strings, durations and variables. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery selectors
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // grouping labels
    .replace(/\$\{?\w+\}?/g, ' ') // Grafana variables
    .replace(/(?<![\w:])\d[\w.]*/g, ' ') // numbers and durations (0.95, 1e3, offset 1h)
  const names = new Set<string>()
  for (const match of stripped.matchAll(/[A-Za-z_:][\w:]*/g)) {
    const after = stripped.slice(match.index + match[0].length).trimStart()
    if (after.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue
    if (/^label_values$/.test(match[0])) continue
    names.add(match[0])
  }
  // label_values(metric, label): the second argument is a label.
  for (const match of expr.matchAll(/label_values\(\s*[\w:]+(?:\{[^}]*\})?\s*,\s*(\w+)\s*\)/g)) names.delete(match[1]!)
  return [...names]
}

let api: TestApi
let scrape = ''
const types = new Map<string, string>()
const sampled = new Set<string>()

beforeAll(async () => {
  api = await createTestApi()
  // Traffic that produces the HTTP, tenant, database and RBAC series.
  const org = await newOrg(api)
  await createItem(api, org)
  await api.app.inject({ url: '/api/v1/inventory', headers: org.headers })
  await api.app.inject({ url: '/api/v1/inventory', headers: bearer('not-a-token') })
  const analyst = await api.addMember(org.token, 'Analyst')
  await api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: bearer(analyst.token), payload: { item_code: 'X', name: 'x' } })
  // Families fed by the webhook dispatcher, the rate limiter and quotas, which this test does not
  // run: one observation each through the very objects those modules use (a zero increment for
  // counters: no count is invented), so the names are checked against the same exposition.
  webhookDeliveriesTotal.inc({ event: 'inventory.created', status: 'delivered' }, 0)
  webhookDeliveryDurationSeconds.observe(0.05)
  webhookQueueDepth.set(0)
  rateLimitedTotal.inc({ plan: 'basic' }, 0)
  quotaExceededTotal.inc({ limit: 'max_items' }, 0)

  const response = await api.app.inject('/metrics')
  expect(response.statusCode).toBe(200)
  scrape = response.body
  for (const line of scrape.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) types.set(type[1]!, type[2]!)
    else if (line && !line.startsWith('#')) sampled.add(line.slice(0, line.search(/[{ ]/)))
  }
})
afterAll(async () => {
  await api?.close()
})

/** The family a sample name belongs to: histogram components map to the histogram. */
function familyOf(name: string): string {
  const base = name.replace(/_(bucket|sum|count)$/, '')
  return base !== name && types.get(base) === 'histogram' ? base : name
}

describe('Grafana dashboards', () => {
  it('cover tenants, RBAC, webhooks, HTTP and the database', () => {
    expect(dashboards.map(({ file }) => file).sort()).toEqual(['database.json', 'http.json', 'rbac.json', 'tenants.json', 'webhooks.json'])
  })

  it.each(dashboards)('$file is a dashboard model with a Prometheus data source variable used by every panel', ({ json }) => {
    expect(json).toMatchObject({ uid: expect.stringMatching(/^tenantry-/), title: expect.stringMatching(/^Tenantry \/ /), schemaVersion: expect.any(Number) })
    expect(json.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }))
    const panels = panelsOf(json.panels)
    expect(panels.length).toBeGreaterThan(3)
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length)
    for (const panel of panels.filter((candidate) => candidate.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' })
      expect(panel.gridPos, panel.title).toBeDefined()
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
      for (const target of panel.targets!) expect(target.expr, `${panel.title} ${target.refId}`).toMatch(/\S/)
    }
  })

  it('extracts metric names from PromQL (the parser this test relies on)', () => {
    expect(metricNames('histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{instance=~"$instance", route!="x"}[$__rate_interval])))')).toEqual(['http_request_duration_seconds_bucket'])
    expect(metricNames('sum(rate(a_total{status=~"5.."}[5m])) / sum(rate(a_total[5m])) > bool 0.1')).toEqual(['a_total'])
    expect(metricNames('sum(db_pool_connections{i="1"} - db_pool_idle_connections) or on (instance) vector(0)')).toEqual(['db_pool_connections', 'db_pool_idle_connections'])
    expect(metricNames('label_values(process_start_time_seconds, instance)')).toEqual(['process_start_time_seconds'])
    expect(metricNames('topk(10, sum without (job) (increase(x_total[1h] offset 1h)))')).toEqual(['x_total'])
  })

  it('name only metrics that a scrape of the app after traffic contains', () => {
    const expressions = allExpressions()
    expect(expressions.length).toBeGreaterThan(40)
    const missing: string[] = []
    const misused: string[] = []
    const used = new Set<string>()
    for (const { where, expr } of expressions) {
      const names = metricNames(expr)
      if (names.length === 0) missing.push(`${where}: no metric in ${expr}`)
      for (const name of names) {
        used.add(familyOf(name))
        if (!sampled.has(name) || !types.has(familyOf(name))) missing.push(`${where}: ${name}`)
      }
      // rate()/increase() on a gauge is always a mistake.
      for (const match of expr.matchAll(/\b(?:rate|irate|increase)\(\s*([A-Za-z_:][\w:]*)/g)) {
        const type = types.get(familyOf(match[1]!))
        if (type !== 'counter' && type !== 'histogram') misused.push(`${where}: ${match[0]} is a ${type}`)
      }
    }
    expect(missing).toEqual([])
    expect(misused).toEqual([])
    // Every family DESIGN §12 lists is on some dashboard.
    for (const family of ['http_request_duration_seconds', 'rbac_denied_total', 'webhook_deliveries_total', 'webhook_queue_depth', 'webhook_delivery_duration_seconds', 'tenant_requests_total', 'db_query_duration_seconds', 'db_pool_connections', 'active_tenants', 'rate_limited_total', 'quota_exceeded_total']) {
      expect(used, family).toContain(family)
    }
  })

  it.runIf(hasPromtool)('every expression parses (promtool check rules, Grafana variables substituted)', () => {
    // Panel targets only: label_values() in variables is Grafana's, not PromQL.
    const rules = allExpressions().filter(({ variable }) => !variable).map(({ expr }, index) => ({
      record: `dashboard:check:${index}`,
      expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'),
    }))
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-grafana-'))
    try {
      const file = join(dir, 'rules.json')
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboards', rules }] })) // JSON is YAML
      const result = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })
      expect(`${result.stdout}${result.stderr}`).toContain(`SUCCESS: ${rules.length} rules found`)
      expect(result.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it.skipIf(hasPromtool)('PromQL syntax check — SKIPPED: promtool is not on PATH (apt-get install prometheus)', () => {})
})
