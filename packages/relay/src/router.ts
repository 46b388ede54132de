import type { TunnelRoute } from './config.js'
import { canonicalHost, matchHostname } from './hostnames.js'

/** Where a public host goes. */
export interface RouteMatch {
  /** The tunnel serving the host. */
  readonly tunnel: string
  /** The config pattern that matched (`app.example.com` or `*.example.com`). */
  readonly pattern: string
}

/**
 * Routes a public host to a tunnel. An exact name beats every wildcard; among wildcards
 * the longest suffix wins, so `*.b.example.com` beats `*.example.com` for `a.b.example.com`.
 */
export class HostRouter {
  private readonly exact = new Map<string, string>()
  private readonly wildcards: Array<{ pattern: string; tunnel: string }> = []

  constructor(tunnels: readonly TunnelRoute[]) {
    for (const route of tunnels) {
      for (const pattern of route.hostnames) {
        if (pattern.startsWith('*.')) this.wildcards.push({ pattern, tunnel: route.name })
        else this.exact.set(pattern, route.name)
      }
    }
    this.wildcards.sort((a, b) => b.pattern.length - a.pattern.length)
  }

  /** The route for `host` (any case, with or without port or trailing dot). */
  route(host: string): RouteMatch | undefined {
    const name = canonicalHost(host)
    const tunnel = this.exact.get(name)
    if (tunnel !== undefined) return { tunnel, pattern: name }
    const wildcard = this.wildcards.find((entry) => matchHostname(entry.pattern, name))
    return wildcard === undefined ? undefined : { ...wildcard }
  }
}
