import type { FastifyInstance } from 'fastify'
import type { Services } from '../../services.ts'

export async function apiKeysRoutes(_app: FastifyInstance, _options: { services: Services }): Promise<void> {}
