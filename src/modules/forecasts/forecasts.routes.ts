import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import { assertFeature } from '../plans/index.ts'
import { presentForecast } from './forecasts.presenter.ts'
import { ForecastParams, ForecastQuery, ForecastResponse, RecomputeBody, RecomputeResponse } from './forecasts.schemas.ts'

const tags = ['forecasts']

export async function forecastsRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { forecasts } = services

  api.post('/api/v1/forecasts/recompute', {
    config: { access: 'tenant', permission: 'forecasts:write' },
    schema: {
      tags, summary: 'Recompute and store forecasts (given items, or all); each changed one emits forecast.updated',
      body: RecomputeBody, response: { 200: RecomputeResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'feature_not_enabled') },
    },
  }, async (request) => {
    assertFeature(request.tenant, 'advanced_analytics', 'demand forecasts')
    const { item_ids: itemIds, window_days: windowDays, horizon_days: horizonDays } = request.body
    const result = await forecasts.recompute({ itemIds, windowDays, horizonDays })
    return { ...result, computed_at: result.computed_at.toISOString() }
  })

  api.get('/api/v1/forecasts/:itemId', {
    config: { access: 'tenant', permission: 'forecasts:read' },
    schema: {
      tags, summary: "An item's daily demand over the last window_days (orders not cancelled) and a simple moving-average forecast, computed now",
      params: ForecastParams, querystring: ForecastQuery, response: { 200: ForecastResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'feature_not_enabled') },
    },
  }, async (request) => {
    assertFeature(request.tenant, 'advanced_analytics', 'demand forecasts')
    const { window_days: windowDays, horizon_days: horizonDays } = request.query
    return presentForecast(await forecasts.forecast(request.params.itemId, { windowDays, horizonDays }))
  })
}
