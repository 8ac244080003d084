import type { RouteOptions } from 'fastify'

type RouteHookName = 'onRequest' | 'preParsing' | 'onResponse'

/**
 * Attaches a hook to one route as it registers (from an onRoute hook), before or after the
 * route's own hooks of that kind. Route-level hooks run only where they apply, so a plugin that
 * concerns some routes adds nothing to the others' requests.
 */
export function addRouteHook(route: RouteOptions, name: RouteHookName, hook: (...args: never[]) => void, position: 'first' | 'last'): void {
  const current = route[name] as unknown
  const existing = current === undefined ? [] : Array.isArray(current) ? current : [current]
  ;(route as unknown as Record<RouteHookName, unknown[]>)[name] = position === 'first' ? [hook, ...existing] : [...existing, hook]
}
