import { configSchema, type Config, type NodeEnv } from './config.schema.ts'
import { ConfigValueError } from './parsers.ts'
import { productionRefusals } from './production-rules.ts'
import { translateSeedVariables } from './seed-variables.ts'

/** Thrown when the environment cannot make a configuration; `problems` has one line per variable. */
export class ConfigError extends Error {
  readonly problems: string[]

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((line) => `  - ${line}`).join('\n')}`)
    this.problems = problems
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

/**
 * Parses the environment once against the schema. Every bad variable is reported (not just the
 * first), then the production rules run on the parsed values. The result is frozen: nothing
 * downstream reads process.env.
 */
export function loadConfig(given: Env = process.env): Config {
  const { env, problems } = translateSeedVariables(given)
  const nodeEnv = (env.NODE_ENV ?? 'development') as NodeEnv
  const values: Record<string, unknown> = {}

  for (const [name, spec] of Object.entries(configSchema)) {
    const aliases = 'aliases' in spec ? spec.aliases : undefined
    const disagreement = aliasDisagreement(env, name, aliases)
    if (disagreement) problems.push(disagreement)
    const raw = readRaw(env, name, aliases)
    const fallback = typeof spec.default === 'function' ? spec.default(nodeEnv) : spec.default
    const input = raw ?? fallback
    if (input === undefined) {
      values[name] = undefined
      continue
    }
    try {
      values[name] = (spec.parse as (raw: string) => unknown)(input)
    } catch (error) {
      if (!(error instanceof ConfigValueError)) throw error
      problems.push(`${name}: ${error.message}`)
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const config = Object.freeze(values) as Config
  const refusals = productionRefusals(config)
  if (refusals.length > 0) throw new ConfigError(refusals)
  return config
}

function readRaw(env: Env, name: string, aliases: readonly string[] | undefined): string | undefined {
  for (const key of [name, ...(aliases ?? [])]) {
    const value = env[key]
    if (value !== undefined && value !== '') return value
  }
  return undefined
}

/** Both a variable and an older name of it set, to different values: say so rather than pick one. */
function aliasDisagreement(env: Env, name: string, aliases: readonly string[] | undefined): string | undefined {
  const spelt = [name, ...(aliases ?? [])].filter((key) => env[key] !== undefined && env[key] !== '')
  const values = new Set(spelt.map((key) => env[key]!.trim()))
  return values.size > 1 ? `${spelt.join(', ')}: set to different values; ${name} is Tenantry's name, remove ${spelt.filter((key) => key !== name).join(', ')}` : undefined
}

/** Reads ./.env into process.env when present (never overriding what the shell set). */
export function loadDotEnv(path = '.env'): void {
  try {
    process.loadEnvFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}
