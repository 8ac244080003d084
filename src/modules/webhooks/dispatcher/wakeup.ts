/**
 * A sleep that ends early when woken. A wake that arrives while nobody sleeps is remembered, so
 * the next wait returns at once: work announced between two looks at the queue is never missed.
 */
export class Wakeup {
  private woken = false
  private resolve: (() => void) | undefined
  private alarm: { at: number; timer: NodeJS.Timeout } | undefined

  wake(): void {
    this.woken = true
    this.resolve?.()
  }

  /** Wakes at `at` (epoch ms) unless an earlier alarm is already set. */
  wakeAt(at: number): void {
    if (this.alarm && this.alarm.at <= at) return
    if (this.alarm) clearTimeout(this.alarm.timer)
    const timer = setTimeout(() => {
      this.alarm = undefined
      this.wake()
    }, Math.max(0, at - Date.now()))
    timer.unref()
    this.alarm = { at, timer }
  }

  async wait(timeoutMs: number): Promise<void> {
    if (this.woken) {
      this.woken = false
      return
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs))
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.resolve = done
    })
    this.resolve = undefined
    this.woken = false
  }
}
