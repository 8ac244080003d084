// Turns the measured figures into the console table and bench/results/latest.json.
import { cpus } from 'node:os'
import { renameSync, writeFileSync } from 'node:fs'
import type { LoadFigures } from './load.ts'
import type { Variant } from './variants.ts'

export const GOAL_RATIO = 0.8 // DESIGN §16: a tenant-scoped read at >= 0.8 of the bare prepared handler

export interface Measured {
  variant: Variant
  figures: LoadFigures
}

export interface RunInfo {
  postgresVersion: string
  durationSec: number
  rounds: number
  connections: number
}

const round = (value: number, digits: number) => Number(value.toFixed(digits))

function rows(measured: Measured[]) {
  const baseline = measured[0]!.figures.requestsPerSec
  return measured.map(({ variant, figures }) => ({
    name: variant.name,
    description: variant.description,
    requests_per_sec: Math.round(figures.requestsPerSec),
    latency_p50_ms: round(figures.latencyP50Ms, 2),
    latency_p99_ms: round(figures.latencyP99Ms, 2),
    ratio: round(figures.requestsPerSec / baseline, 2),
  }))
}

export function formatTable(measured: Measured[]): string {
  const header = ['variant', 'req/s', 'p50 ms', 'p99 ms', 'ratio']
  const lines = rows(measured).map((row) => [
    row.name,
    String(row.requests_per_sec),
    row.latency_p50_ms.toFixed(2),
    row.latency_p99_ms.toFixed(2),
    row.ratio.toFixed(2),
  ])
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)))
  // The name column reads left-aligned, the figures right-aligned.
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')
  return [format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(format)].join('\n')
}

/** The ratio of each b variant over the baseline, by name. */
export function tenantryRatios(measured: Measured[]): Record<string, number> {
  return Object.fromEntries(rows(measured).filter((row) => row.name.startsWith('b_')).map((row) => [row.name, row.ratio]))
}

export function writeResults(file: string, info: RunInfo, measured: Measured[]): void {
  const cpu = cpus()
  const results = {
    date: new Date().toISOString(),
    node_version: process.version,
    postgres_version: info.postgresVersion,
    cpu_count: cpu.length,
    cpu_model: cpu[0]?.model.trim() ?? 'unknown',
    duration_sec: info.durationSec,
    rounds: info.rounds,
    connections: info.connections,
    variants: rows(measured),
    ratio_b_over_a: tenantryRatios(measured),
  }
  // Write then rename, so an interrupted run never leaves a half-written latest.json.
  const temporary = file.replace(/\.json$/, '.tmp.json')
  writeFileSync(temporary, `${JSON.stringify(results, null, 2)}\n`)
  renameSync(temporary, file)
}
