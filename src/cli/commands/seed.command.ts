import { migrateUp } from '../../db/index.ts'
import { describeSeed, seed } from '../../db/seed.ts'
import { openCliContext } from '../cli-context.ts'

/** Seeds permissions, system roles and the default tenant (migrating first); safe to repeat. */
export async function seedCommand(): Promise<void> {
  const { config, db } = await openCliContext()
  try {
    await migrateUp(db)
    console.log(describeSeed(await seed(db, config)))
  } finally {
    await db.close()
  }
}
