import { migrateDown, migrateUp, migrationStatus } from '../../db/index.ts'
import { openCliContext, UsageError } from '../cli-context.ts'

export async function migrateCommand(args: string[]): Promise<void> {
  const [direction = 'up', ...rest] = args
  const steps = parseSteps(rest)
  const { db } = await openCliContext()
  try {
    if (direction === 'up') {
      const applied = await migrateUp(db)
      console.log(applied.length ? applied.map((name) => `applied ${name}`).join('\n') : 'nothing to apply: the schema is up to date')
    } else if (direction === 'down') {
      const reverted = await migrateDown(db, steps)
      console.log(reverted.length ? reverted.map((name) => `reverted ${name}`).join('\n') : 'nothing to revert')
    } else if (direction === 'status') {
      for (const row of await migrationStatus(db)) {
        console.log(`${row.version}_${row.name}`.padEnd(40), row.state.padEnd(13), row.appliedAt ? row.appliedAt.toISOString() : '')
      }
    } else {
      throw new UsageError(`unknown migrate direction ${direction}: use up, down [--steps N] or status`)
    }
  } finally {
    await db.close()
  }
}

function parseSteps(args: string[]): number {
  const index = args.indexOf('--steps')
  if (index === -1) return 1
  const steps = Number(args[index + 1])
  if (!Number.isInteger(steps) || steps < 1) throw new UsageError('--steps expects a positive integer')
  return steps
}

