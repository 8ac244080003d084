import type { Actor } from '../context/index.ts'

/** How log lines name who acted: the principal's kind and id, never a credential. */
export function actorFields(actor: Actor | undefined): { kind: string; id?: string } {
  switch (actor?.type) {
    case 'user':
      return { kind: 'user', id: actor.userId }
    case 'api_key':
      return { kind: 'api_key', id: actor.apiKeyId }
    case 'platform':
      return actor.userId ? { kind: 'platform', id: actor.userId } : { kind: 'platform' }
    case 'system':
      return actor.job ? { kind: 'system', id: actor.job } : { kind: 'system' }
    default:
      return { kind: 'anonymous' }
  }
}
