// The forecasting method, apart from SQL and HTTP so it can be tested and replaced on its own.
// A simple moving average: the mean daily demand of the window, carried forward flat over the
// horizon. It has no trend or seasonality; it is stated in every answer (`method`) so a client
// never mistakes it for more.

export const FORECAST_METHOD = 'simple_moving_average' as const

export interface DemandDay {
  /** A UTC calendar day, YYYY-MM-DD. */
  date: string
  quantity: number
}

export interface MovingAverageForecast {
  method: typeof FORECAST_METHOD
  window_days: number
  horizon_days: number
  total_demand: number
  /** Units per day, four places (the column's scale). */
  average_daily: number
  /** Units over the horizon, two places; computed from the exact mean, not the rounded one. */
  forecast_quantity: number
}

/** `history` holds one entry per day of the window (days without demand as 0). */
export function simpleMovingAverage(history: DemandDay[], horizonDays: number): MovingAverageForecast {
  const windowDays = history.length
  if (windowDays === 0) throw new RangeError('the window needs at least one day')
  const total = history.reduce((sum, day) => sum + day.quantity, 0)
  return {
    method: FORECAST_METHOD,
    window_days: windowDays,
    horizon_days: horizonDays,
    total_demand: total,
    average_daily: round(total / windowDays, 4),
    forecast_quantity: round((total * horizonDays) / windowDays, 2),
  }
}

/** The window's days, oldest first, ending with `today` (YYYY-MM-DD, UTC). */
export function windowDays(today: string, days: number): string[] {
  const end = Date.parse(`${today}T00:00:00Z`)
  return Array.from({ length: days }, (_, index) => new Date(end - (days - 1 - index) * 86_400_000).toISOString().slice(0, 10))
}

/** Zero-fills the days without demand, so the history has exactly one entry per day. */
export function fillHistory(days: string[], demand: ReadonlyMap<string, number>): DemandDay[] {
  return days.map((date) => ({ date, quantity: demand.get(date) ?? 0 }))
}

function round(value: number, places: number): number {
  const factor = 10 ** places
  return Math.round(value * factor) / factor
}
