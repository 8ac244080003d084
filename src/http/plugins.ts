import cors from '@fastify/cors'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/index.ts'
import { describeErrorsAsProblemJson } from './openapi.ts'
import { registerSecurityHeaders } from './security-headers.ts'

/** External plugins, in the order they must run: security headers, CORS, OpenAPI. */
export async function registerExternalPlugins(app: FastifyInstance, config: Config, version: string): Promise<void> {
  registerSecurityHeaders(app)
  // CORS off (production's default): no plugin, so no hook on every request. Preflights then get
  // the same 404 the plugin gives them when the origin option is false.
  if (config.CORS_ORIGIN !== false) {
    await app.register(cors, {
      origin: config.CORS_ORIGIN,
      credentials: config.CORS_ORIGIN !== true, // a wildcard origin never carries credentials
      exposedHeaders: ['x-request-id', 'retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy'],
    })
  }
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tenantry API', version, description: 'The tenancy layer of a SaaS product.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'JWT, API key or SUPER_ADMIN_KEY' } } },
      security: [{ bearer: [] }],
    },
    transformObject: (document) => ('openapiObject' in document ? describeErrorsAsProblemJson(document.openapiObject) : document.swaggerObject),
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
