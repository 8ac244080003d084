// Forecast → the public representation (the same one in answers and in forecast.updated events).
import type { Static } from 'typebox'
import type { ForecastData } from '../events/index.ts'
import type { Forecast } from './forecasts.service.ts'

export function presentForecast(forecast: Forecast): Static<typeof ForecastData> {
  return { ...forecast, computed_at: forecast.computed_at.toISOString() }
}
