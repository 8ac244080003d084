// GET /console: the web console (DESIGN §9), three static files read once at start. It is a
// client of the public API like any other: it holds no privilege and sees what its user's token
// lets it see. Its own CSP (src/http/security-headers.ts) allows scripts, styles and API calls
// from this origin only.
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

const ASSETS = new URL('./assets/', import.meta.url)
const FILES = {
  '/console/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
} as const

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/'))
  for (const [url, { file, type }] of Object.entries(FILES)) {
    const body = readFileSync(new URL(file, ASSETS))
    // no-cache, not no-store: browsers revalidate, so a new release is picked up at once.
    app.get(url, { schema: { hide: true } }, (_request, reply) => reply.type(type).header('cache-control', 'no-cache').send(body))
  }
}
