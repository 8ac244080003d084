// Summarises a V8 CPU profile (node --cpu-prof; BENCH_PROFILE=<variant> writes one per server):
// the functions with the most self time, and self time by package or source folder, as shares
// of the non-idle samples. Usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top] [skip s]
// (skip: leave out the first seconds, e.g. the server's start-up and module compilation).
// CAUTION: V8 samples wall time, so time the server spends preempted (often right after a
// writev woke another process) counts as its own; bench/README.md shows how to sample CPU time
// with perf instead.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const [file, topArg, skipArg] = process.argv.slice(2)
if (!file) throw new Error('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top] [skip s]')
const top = Number(topArg ?? 25)
const skipMicros = Number(skipArg ?? 0) * 1e6
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))

// Self time per node, in microseconds (each sample's delta is the time until the next sample).
const self = new Map<number, number>()
let at = 0
profile.samples.forEach((id, index) => {
  at += profile.timeDeltas[index] ?? 0
  if (at >= skipMicros) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index + 1] ?? 0))
})

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)'])
let busy = 0
let gc = 0
const functions = new Map<string, number>()
const places = new Map<string, number>()
for (const [id, micros] of self) {
  const frame = byId.get(id)!.callFrame
  if (frame.functionName === '(garbage collector)') gc += micros
  if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue
  busy += micros
  if (IDLE.has(frame.functionName)) continue
  const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`
  functions.set(key, (functions.get(key) ?? 0) + micros)
  const place = placeOf(frame.url)
  places.set(place, (places.get(place) ?? 0) + micros)
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('node_modules/')
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length)
  const src = url.indexOf('/src/')
  if (src >= 0) return url.slice(src + 1)
  return url.replace(/^file:\/\//, '') || '(native)'
}

function placeOf(url: string): string {
  const modules = url.lastIndexOf('node_modules/')
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  const src = url.indexOf('/src/')
  if (src >= 0) return url.slice(src + 1).split('/').slice(0, 3).join('/')
  if (url.startsWith('node:')) return url
  return url === '' ? '(native / V8 builtins)' : url
}

// Inclusive time per function of this repository (src/, bench/): where a request's time goes.
const inclusive = new Map<string, number>()
function walk(id: number, onStack: Set<string>): number {
  const node = byId.get(id)!
  let micros = self.get(id) ?? 0
  const frame = node.callFrame
  const key = /\/(src|bench)\//.test(frame.url) ? `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}` : undefined
  const counted = key !== undefined && !onStack.has(key)
  if (counted) onStack.add(key)
  for (const child of node.children ?? []) micros += walk(child, onStack)
  if (counted) {
    onStack.delete(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + micros)
  }
  return micros
}
walk(profile.nodes[0]!.id, new Set())

// Self time by concern: a frame's own package or folder decides, native frames and V8
// builtins take their caller's concern, except socket writes and GC, which are their own.
const CONCERNS: [RegExp, string][] = [
  [/node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-date|postgres-array|postgres-bytea|postgres-interval|pg-connection-string)\/|\/src\/db\//, 'database driver (pg) and tenant statement'],
  [/node_modules\/postgres\//, 'database driver (postgres.js)'],
  [/node_modules\/(fastify|find-my-way|fast-json-stringify|@fastify\/[^/]+|avvio|light-my-request|fast-querystring|secure-json-parse|fast-uri|ajv)\/|node:_http|node:net|node:internal\/streams|node:internal\/stream_base_commons|node:internal\/http|\/src\/http\/(?!request-context)/, 'HTTP (Fastify, node:http, security headers)'],
  [/node:internal\/crypto|node:crypto/, 'crypto (SHA-256 digests, UUIDs)'],
  [/\/src\/modules\/(access|auth)\/|\/src\/cache\//, 'authentication, tenant resolution, RBAC'],
  [/\/src\/modules\/rate-limits\//, 'rate limits'],
  [/node_modules\/(prom-client|pino|sonic-boom)\/|\/src\/observability\/|\/src\/modules\/usage\//, 'metrics, usage counting, logging'],
  [/node:internal\/async_hooks|node:async_hooks|\/src\/context\/|request-context/, 'AsyncLocalStorage request context'],
  [/\/src\/modules\/inventory\//, 'inventory service and presenter'],
  [/\/src\/modules\//, 'other modules (audit, events, webhooks, tenants)'],
  [/node:events|node:internal\/process\/task_queues|node:internal\/timers|node:timers/, 'event loop, promises, emitters'],
  [/\/bench\/servers\//, 'bench server code'],
]
const SOCKET_WRITES = new Set(['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString'])
const concerns = new Map<string, number>()
function classify(id: number, inherited: string): void {
  const node = byId.get(id)!
  const { functionName, url } = node.callFrame
  let concern = inherited
  if (url !== '') concern = CONCERNS.find(([pattern]) => pattern.test(url))?.[1] ?? (url.startsWith('node:') ? 'other Node internals' : 'other')
  const own = SOCKET_WRITES.has(functionName) ? 'socket writes (syscalls)' : functionName === '(garbage collector)' ? 'garbage collection' : concern
  const micros = self.get(id) ?? 0
  if (micros > 0 && functionName !== '(idle)' && functionName !== '(program)') concerns.set(own, (concerns.get(own) ?? 0) + micros)
  for (const child of node.children ?? []) classify(child, concern)
}
classify(profile.nodes[0]!.id, 'other (native, unattributed)')

const total = profile.endTime - profile.startTime - skipMicros
const share = (micros: number) => `${((100 * micros) / busy).toFixed(1).padStart(5)}%`
console.log(`${file}: ${(total / 1e6).toFixed(1)} s profiled, busy ${(busy / 1e6).toFixed(1)} s (${((100 * busy) / total).toFixed(0)}%), GC ${share(gc)} of busy\n`)
console.log('self time by concern (native frames counted with their caller)')
for (const [concern, micros] of [...concerns].sort((a, b) => b[1] - a[1])) console.log(`  ${share(micros)}  ${concern}`)
console.log('\nself time by package or source folder')
for (const [place, micros] of [...places].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(micros)}  ${place}`)
console.log('\nfunctions with the most self time')
for (const [name, micros] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(micros)}  ${name}`)

console.log('\nfunctions of this repository by inclusive time (self + callees)')
for (const [name, micros] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${share(micros)}  ${name}`)
