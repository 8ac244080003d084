// Records every route an app registers, for tests that must cover all routes of a kind (the
// authorization matrix, the platform routes). buildApp offers no point before its plugins
// register, so the test replaces fastify's factory with one that adds an onRoute hook at once:
//
//   const recorded = vi.hoisted(() => [] as RecordedRoute[])
//   vi.mock('fastify', async (importOriginal) => (await import('./support/route-recorder.ts')).recordingFastify(importOriginal, recorded))
import type * as FastifyModule from 'fastify'

export interface RecordedRoute {
  method: string
  url: string
  access?: string
  permission?: string
}

type Fastify = typeof FastifyModule

export async function recordingFastify(importOriginal: () => Promise<unknown>, recorded: RecordedRoute[]): Promise<Fastify> {
  const actual = (await importOriginal()) as Fastify
  const create = ((options?: Record<string, unknown>) => {
    const app = actual.default(options)
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) recorded.push({ method, url: route.url, access: route.config?.access, permission: route.config?.permission })
    })
    return app
  }) as unknown as Fastify['default']
  return { ...actual, default: create, fastify: create }
}
