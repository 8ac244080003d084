/**
 * Exit code 1 by letting the process end on its own, with a hard exit a second later for whatever
 * still holds the event loop open (a database pool). Once in CI a refused start ended by a signal
 * (exit code null) right after process.exit(1); tsx's loader thread being cut off mid-work is the
 * likely cause, and a natural exit lets it stop first.
 */
export function exitWithFailure(): void {
  process.exitCode = 1
  setTimeout(() => process.exit(1), 1000).unref()
}
