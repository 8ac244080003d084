import { describe, expect, it } from 'vitest'
import { fillHistory, simpleMovingAverage, windowDays } from './moving-average.ts'

describe('simple moving average', () => {
  it('averages the window and carries the mean over the horizon', () => {
    const history = fillHistory(windowDays('2025-03-10', 10), new Map([['2025-03-10', 3], ['2025-03-05', 4]]))
    expect(simpleMovingAverage(history, 30)).toEqual({
      method: 'simple_moving_average', window_days: 10, horizon_days: 30, total_demand: 7, average_daily: 0.7, forecast_quantity: 21,
    })
  })

  it('rounds the mean to four places but forecasts from the exact mean', () => {
    const history = fillHistory(windowDays('2025-03-10', 3), new Map([['2025-03-10', 1]]))
    const forecast = simpleMovingAverage(history, 30)
    expect(forecast.average_daily).toBe(0.3333)
    expect(forecast.forecast_quantity).toBe(10) // not 9.999
  })

  it('forecasts zero without demand', () => {
    expect(simpleMovingAverage(fillHistory(windowDays('2025-01-01', 30), new Map()), 7)).toMatchObject({ total_demand: 0, average_daily: 0, forecast_quantity: 0 })
  })
})

describe('the window', () => {
  it('ends today, oldest first, one entry per day, across month and year ends', () => {
    expect(windowDays('2025-01-02', 4)).toEqual(['2024-12-30', '2024-12-31', '2025-01-01', '2025-01-02'])
    expect(windowDays('2024-03-01', 2)).toEqual(['2024-02-29', '2024-03-01'])
  })

  it('zero-fills the days without demand', () => {
    expect(fillHistory(['2025-01-01', '2025-01-02'], new Map([['2025-01-02', 5]]))).toEqual([
      { date: '2025-01-01', quantity: 0 },
      { date: '2025-01-02', quantity: 5 },
    ])
  })
})
