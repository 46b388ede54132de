import { hostMatches, pathMatches } from '../config/domain-pattern.js'
import type { AppConfig, DomainPattern } from '../config/types.js'

/** The app that covers a request, and the `domains` entry that chose it. */
export interface AppMatch {
  readonly app: AppConfig
  readonly domain: DomainPattern
}

/**
 * Finds the app covering canonical `host` and normalised `path`: the most specific matching
 * `domains` entry wins. An exact host beats a wildcard, a longer wildcard suffix beats a
 * shorter one, and among entries with the same host the longer path prefix wins. The app
 * found inherits nothing from a broader one. Undefined when no app covers the request.
 */
export function matchApp(
  apps: readonly AppConfig[],
  host: string,
  path: string,
): AppMatch | undefined {
  let best: AppMatch | undefined
  for (const app of apps) {
    for (const domain of app.domains) {
      if (!hostMatches(domain, host) || !pathMatches(domain, path)) continue
      if (best === undefined || compareSpecificity(domain, best.domain) > 0) {
        best = { app, domain }
      }
    }
  }
  return best
}

/** True when some app has a `domains` entry for `host`, whatever its path. */
export function hostHasApp(apps: readonly AppConfig[], host: string): boolean {
  return apps.some((app) => app.domains.some((domain) => hostMatches(domain, host)))
}

/** Positive when `a` is more specific than `b`. */
function compareSpecificity(a: DomainPattern, b: DomainPattern): number {
  if (a.wildcard !== b.wildcard) return a.wildcard ? -1 : 1
  if (a.host.length !== b.host.length) return a.host.length - b.host.length
  return pathLength(a) - pathLength(b)
}

function pathLength(domain: DomainPattern): number {
  return domain.path === '/' ? 0 : domain.path.length
}
