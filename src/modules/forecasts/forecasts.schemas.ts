import { Type } from 'typebox'
import { ForecastData } from '../events/index.ts'

// Bounded: a year of daily history is what the average can reasonably use, and keeps one
// forecast (and its event) small.
const windowDays = Type.Integer({ minimum: 1, maximum: 365, default: 30, description: 'days of order history, ending today (UTC)' })
const horizonDays = Type.Integer({ minimum: 1, maximum: 365, default: 30, description: 'days ahead to forecast' })

export const ForecastResponse = ForecastData
export const ForecastParams = Type.Object({ itemId: Type.String({ format: 'uuid' }) })
export const ForecastQuery = Type.Object({ window_days: Type.Optional(windowDays), horizon_days: Type.Optional(horizonDays) }, { additionalProperties: false })

export const RecomputeBody = Type.Object(
  {
    item_ids: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 1000, uniqueItems: true, description: 'every item of the tenant when absent' })),
    window_days: Type.Optional(windowDays),
    horizon_days: Type.Optional(horizonDays),
  },
  { additionalProperties: false },
)

export const RecomputeResponse = Type.Object({
  recomputed: Type.Integer({ description: 'forecasts computed and stored' }),
  changed: Type.Integer({ description: 'forecasts whose numbers changed; each emitted forecast.updated' }),
  window_days: Type.Integer(),
  horizon_days: Type.Integer(),
  computed_at: Type.String({ format: 'date-time' }),
})
