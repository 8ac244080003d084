export { ForecastsService, DEFAULT_WINDOW_DAYS, DEFAULT_HORIZON_DAYS, type Forecast } from './forecasts.service.ts'
export { forecastsRoutes } from './forecasts.routes.ts'
export { FORECAST_METHOD } from './moving-average.ts'
