import type { FastifyInstance } from 'fastify'
import type { Services } from '../../services.ts'

export async function auditRoutes(_app: FastifyInstance, _options: { services: Services }): Promise<void> {}
