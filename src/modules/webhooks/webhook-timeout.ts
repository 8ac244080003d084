// The longest one attempt may wait for a receiver (docs/decisions.md D63). An attempt holds a
// slot of its dispatcher until it ends: the timeout is how
// long a receiver that never answers keeps them. Receivers are expected to answer at once and do
// their work afterwards (GitHub, for one, waits 10 s); a minute leaves room for a slow one.
// Endpoints stored with more (the limit was 300,000 ms) keep working: their attempts are cut to
// this at send time.
export const MAX_WEBHOOK_TIMEOUT_MS = 60_000
