// Variants c_contract_floor, c_floor_headers and c_floor_context: the least an HTTP stack can do
// per response and still meet the contract's duties, written straight into bare Fastify, no
// plugin. Against a_bare_postgresjs it bounds from below what any implementation of Tenantry's
// HTTP stack costs on this machine, before any tenancy (no authentication, limiter, RBAC, usage).
// BENCH_FLOOR_DUTIES picks the duties (comma-separated):
//   headers  the request id and the API security and RateLimit headers (DESIGN §9, §11)
//   context  an AsyncLocalStorage context around the handler (DESIGN §5)
//   metrics  one http_request_duration_seconds observation (DESIGN §12)
//   als-enabled  AsyncLocalStorage's hooks switched on for the process, no context per request
//            (what `context` costs before its per-request run)
import { AsyncLocalStorage } from 'node:async_hooks'
import Fastify from 'fastify'
import postgres from 'postgres'
import { Histogram, Registry } from 'prom-client'
import { generateRequestId } from '../../src/http/request-id.ts'
import { apiSecurityHeaders } from '../../src/http/security-headers.ts'
import { ITEM_SQL } from './bare-route.ts'
import { serve, serverEnv } from './serve.ts'

const env = serverEnv()
const duties = new Set((process.env.BENCH_FLOOR_DUTIES ?? '').split(','))
const sql = postgres(env.databaseUrl, { max: 20, prepare: true })
const app = Fastify({ logger: false, genReqId: generateRequestId })

if (duties.has('headers')) {
  // What Tenantry's API read answers with besides the bare handler's headers, values as sent.
  const headers = { ...apiSecurityHeaders(), 'ratelimit-policy': '1000;w=86400, 60;w=60, 120;w=60', 'ratelimit-limit': '60' }
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id).headers(headers)
    done()
  })
  app.addHook('preHandler', (_request, reply, done) => {
    reply.header('ratelimit-remaining', '58').header('ratelimit-reset', '37')
    done()
  })
}
if (duties.has('context')) {
  const context = new AsyncLocalStorage<{ requestId: string }>()
  app.addHook('preHandler', (request, _reply, done) => context.run({ requestId: request.id }, done))
}
if (duties.has('als-enabled')) {
  // The promise hooks switched on for the process, no context per request.
  new AsyncLocalStorage<number>().enterWith(1)
}
if (duties.has('metrics')) {
  const registry = new Registry()
  const duration = new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] })
  app.addHook('onResponse', (request, reply, done) => {
    duration.observe({ method: request.method, route: '/items/:id', status: reply.statusCode }, reply.elapsedTime / 1000)
    done()
  })
}

app.get<{ Params: { id: string } }>('/items/:id', async (request, reply) => {
  const [item] = await sql.unsafe(ITEM_SQL, [request.headers['x-tenant-id'] as string, request.params.id], { prepare: true })
  if (item === undefined) return reply.code(404).send({ code: 'not_found' })
  return item
})

await serve(app, env.port, () => sql.end({ timeout: 1 }))
