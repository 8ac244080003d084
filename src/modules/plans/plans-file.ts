import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Value } from 'typebox/value'
import { ConfigError } from '../../config/index.ts'
import type { PlanCatalog } from './plan-catalog.ts'
import { PlansFileSchema } from './plan-schemas.ts'

/** The catalogue that ships (DESIGN §11), read like any operator's file. */
export const DEFAULT_PLANS_FILE = fileURLToPath(new URL('./default-plans.json', import.meta.url))

let installed: PlanCatalog | undefined

/**
 * Reads and validates a plans file (the shipped one when `path` is undefined). Every problem is
 * one line naming the file and the JSON path of the bad value; all of them are reported.
 */
export function loadPlanCatalog(path: string | undefined): PlanCatalog {
  const file = path ?? DEFAULT_PLANS_FILE
  const fail = (problems: string[]) => new ConfigError(problems.map((problem) => `PLANS_FILE ${file}: ${problem}`))
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    throw fail([reason])
  }
  const problems = [...Value.Errors(PlansFileSchema, parsed)]
    // additionalProperties reports each unknown key twice (the `false` schema, then the list): keep the list.
    .filter((error) => error.keyword !== 'boolean')
    .map((error) => {
      const at = error.instancePath === '' ? '/' : error.instancePath
      const unknown = (error.params as { additionalProperties?: string[] }).additionalProperties
      const required = (error.params as { requiredProperties?: string[] }).requiredProperties
      if (unknown) return `${at}: unknown ${unknown.length === 1 ? 'key' : 'keys'} ${unknown.join(', ')}`
      if (required) return `${at}: missing ${required.join(', ')}`
      return `${at}: ${error.message}`
    })
  if (problems.length > 0) throw fail(problems)
  return deepFreeze((parsed as { plans: PlanCatalog }).plans)
}

/** Installs the process's catalogue (at start: main, the CLI, createServices). */
export function usePlanCatalog(catalog: PlanCatalog): void {
  installed = catalog
}

/** The installed catalogue; the shipped one when nothing was installed (a library use, a unit test). */
export function planCatalog(): PlanCatalog {
  return (installed ??= loadPlanCatalog(undefined))
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
