// The runnable parts of the migration guides (docs/migrating/): each guide's ```sh server block
// (how to start Tenantry for it) and its ```sh checklist blocks, run one after another in bash
// with the shell variables of the earlier blocks carried over.
import type { ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runBash } from './bash-script.ts'

export interface ChecklistBlock {
  /** The words after `sh checklist`: `postgres` (needs PostgreSQL). */
  tags: string[]
  code: string
  /** Line of the opening fence in the guide, for messages. */
  line: number
}

export interface Guide {
  file: string
  /** The variables of the `npm start` line of its ```sh server block. */
  serverEnv: Record<string, string>
  blocks: ChecklistBlock[]
}

export interface BlockOutcome {
  block: ChecklistBlock
  code: number | null
  output: string
}

const FENCE = /^```sh ([a-z-]+)([^\n]*)\n([\s\S]*?)^```$/gm

function fences(text: string): { kind: string; tags: string[]; code: string; line: number }[] {
  return [...text.matchAll(FENCE)].map((match) => ({
    kind: match[1]!,
    tags: match[2]!.trim().split(/\s+/).filter(Boolean),
    code: match[3]!,
    line: text.slice(0, match.index).split('\n').length,
  }))
}

/** The shell helpers every checklist uses (the index's ```sh checklist-helpers block). */
export function readHelpers(dir: string): string {
  const helpers = fences(readFileSync(join(dir, 'README.md'), 'utf8')).filter((fence) => fence.kind === 'checklist-helpers')
  if (helpers.length !== 1) throw new Error('docs/migrating/README.md needs exactly one ```sh checklist-helpers block')
  return helpers[0]!.code
}

export function readGuide(dir: string, file: string): Guide {
  const all = fences(readFileSync(join(dir, file), 'utf8'))
  const servers = all.filter((fence) => fence.kind === 'server')
  if (servers.length !== 1) throw new Error(`${file}: needs exactly one \`\`\`sh server block`)
  const start = servers[0]!.code.split('\n').find((line) => /\bnpm start\b/.test(line))
  if (!start) throw new Error(`${file}: its server block has no npm start line`)
  const serverEnv = Object.fromEntries([...start.split('npm start')[0]!.matchAll(/([A-Z][A-Z0-9_]*)=(\S+)/g)].map((match) => [match[1]!, match[2]!]))
  const blocks = all.filter((fence) => fence.kind === 'checklist').map(({ tags, code, line }) => ({ tags, code, line }))
  return { file, serverEnv, blocks }
}

/** Every variable a script assigns (NAME=… or export NAME=…), to carry into the next block. */
const assignedNames = (scripts: string[]) => [...new Set(scripts.flatMap((script) => [...script.matchAll(/^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!)))]

/**
 * Runs the blocks in order, each in its own bash (-euo pipefail) after the helpers and what the
 * blocks before it assigned, so one failing block is reported and the next ones still run.
 */
export async function runChecklist(options: {
  blocks: ChecklistBlock[]
  helpers: string
  /** Where the commands run: the checkout, so that `npx tenantry` is this package's CLI. */
  cwd: string
  /** A scratch directory for the variables carried from block to block. */
  scratch: string
  env: Record<string, string>
  running: Set<ChildProcess>
}): Promise<BlockOutcome[]> {
  const state = join(options.scratch, 'checklist-vars.sh')
  writeFileSync(state, '')
  const names = assignedNames(options.blocks.map((block) => block.code)).join(' ')
  const save = `save_vars() { { for name in ${names}; do if [[ -v $name ]]; then declare -p "$name"; fi; done; declare -f; } > ${state}; }\ntrap save_vars EXIT`
  const outcomes: BlockOutcome[] = []
  for (const block of options.blocks) {
    const script = ['set -euo pipefail', options.helpers, `source ${state}`, save, block.code].join('\n')
    const result = await runBash(script, { cwd: options.cwd, env: options.env, running: options.running })
    outcomes.push({ block, code: result.code, output: `${result.stdout}${result.stderr}` })
  }
  return outcomes
}
