import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { PLATFORM_ERRORS, problemResponses } from '../../http/openapi.ts'
import type { UserErasureService } from './user-erasure.ts'

const UserIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
const ErasedUserResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Literal('erased'),
  erased_at: Type.String({ format: 'date-time' }),
  tenants: Type.Array(Type.String({ format: 'uuid' }), { description: 'Tenants whose membership this call removed; empty when the user had been erased before' }),
})

/** POST /api/v1/users/:id/erase (platform): GDPR erasure of a user, DESIGN §13, docs/decisions.md D56. */
export async function usersRoutes(app: FastifyInstance, { erasure }: { erasure: UserErasureService }): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().post('/api/v1/users/:id/erase', {
    config: { access: 'platform' },
    schema: {
      tags: ['users'],
      security: [{ bearer: [] }],
      summary: "Erase a user (GDPR): every membership goes, then the user's email, name and password; audit entries keep the bare id",
      params: UserIdParams,
      response: { 200: ErasedUserResponse, ...problemResponses(...PLATFORM_ERRORS, 'not_found', 'last_admin') },
    },
  }, async (request) => {
    const erased = await erasure.erase(request.params.id)
    return { ...erased, erased_at: erased.erased_at.toISOString() }
  })
}
