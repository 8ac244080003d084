// Summarises a V8 .cpuprofile (written by the worker probe): self time by area (package, Tenantry
// folder, node internals, GC) and by function, as shares of the time the worker was not idle.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  busyMs: number
  areas: { area: string; share: number }[]
  functions: { name: string; share: number }[]
}

export function summariseProfile(file: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const areaTime = new Map<string, number>()
  const functionTime = new Map<string, number>()
  let busy = 0
  profile.samples.forEach((id, index) => {
    // A sample's time is the delta to the next sample.
    const micros = profile.timeDeltas[index + 1] ?? 0
    const frame = byId.get(id)!.callFrame
    if (frame.functionName === '(idle)') return
    busy += micros
    const area = areaOf(frame)
    areaTime.set(area, (areaTime.get(area) ?? 0) + micros)
    const name = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`.trim()
    functionTime.set(name, (functionTime.get(name) ?? 0) + micros)
  })
  const shares = (times: Map<string, number>) =>
    [...times].sort((a, b) => b[1] - a[1]).map(([key, micros]) => ({ key, share: busy > 0 ? micros / busy : 0 }))
  return {
    busyMs: busy / 1000,
    areas: shares(areaTime).slice(0, top).map(({ key, share }) => ({ area: key, share })),
    functions: shares(functionTime).slice(0, top).map(({ key, share }) => ({ name: key, share })),
  }
}

function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame
  if (!url) return functionName.startsWith('(') ? functionName : 'native'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  const src = /\/(src\/(?:modules\/[^/]+(?:\/(?:dispatcher|signing|ssrf))?|[^/]+))\//.exec(url)
  if (src) return src[1]!
  if (url.startsWith('node:')) return 'node internals'
  return shortUrl(url)
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(src|node_modules|bench)\//, '$1/').replace(/^.*\/node_modules\//, '')
}
