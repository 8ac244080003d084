import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../http/pagination.ts'

export const MemberResponse = Type.Object({
  user_id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  role_id: Type.String({ format: 'uuid' }),
  role: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('invited')]),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

export const MemberPage = pageOf(MemberResponse)
export const ListMembersQuery = Type.Object(PageQuery, { additionalProperties: false })
export const MemberParams = Type.Object({ userId: Type.String({ format: 'uuid' }) })

export const AddMemberBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    role_id: Type.Optional(Type.String({ format: 'uuid' })),
    role: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
)

export const AddedMemberResponse = Type.Object({
  member: MemberResponse,
  invitation_token: Type.Optional(Type.String({ description: 'shown once; accept at POST /api/v1/auth/accept-invite' })),
  invitation_expires_at: Type.Optional(Type.String({ format: 'date-time' })),
})

export const UpdateMemberBody = Type.Object(
  {
    role_id: Type.Optional(Type.String({ format: 'uuid' })),
    role: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended')])),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const OperatorAddMemberBody = Type.Object(
  {
    user_id: Type.Optional(Type.String({ format: 'uuid' })),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
    role_id: Type.Optional(Type.String({ format: 'uuid' })),
    role: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
)
