// CPU time of processes from /proc: the per-request CPU columns of the tenancy report and the
// webhook bench's PostgreSQL cost. Linux only; elsewhere nothing can be read.
import { readdirSync, readFileSync } from 'node:fs'

// Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ, `getconf CLK_TCK`).
const TICKS_PER_SECOND = 100

/** CPU time (user + system, all threads) a process has used so far, in seconds; 0 if unknown. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0
  return readStat(pid)?.cpuSeconds ?? 0
}

/** The same, or undefined when the process cannot be read (gone, or on another machine). */
export function readProcessCpuSeconds(pid: number): number | undefined {
  return readStat(pid)?.cpuSeconds
}

/**
 * CPU time used so far by every process named `postgres` (the postmaster, the backends serving the
 * bench's connections, the background workers). Backends that exit between two readings take
 * their time with them: compare readings around a load whose connections stay open.
 */
export function postgresCpuSeconds(): number {
  let total = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(Number(entry))
    if (stat?.command === 'postgres') total += stat.cpuSeconds
  }
  return total
}

function readStat(pid: number): { command: string; cpuSeconds: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name is in parentheses and may contain spaces: split after its ')'.
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { command, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND } // utime, stime
  } catch {
    return undefined // gone, or not Linux
  }
}

/** CPU time the whole machine has spent busy so far (all cores, everything but idle and iowait), in seconds. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is in user)
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number)
    return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND
  } catch {
    return 0
  }
}
