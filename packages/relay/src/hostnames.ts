/**
 * Public hostnames: the canonical form they are compared in, and the patterns tunnels
 * claim. A pattern is an exact name (`app.example.com`) or one leading wildcard label
 * (`*.example.com`), which matches any name ending in `.example.com` with at least one
 * label before it, never the apex `example.com`.
 */

const label = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?'
const namePattern = new RegExp(`^${label}(?:\\.${label})*$`)

/** Lower case, no port, no trailing dot: the form hosts are compared in. */
export function canonicalHost(host: string): string {
  let name = host.trim().toLowerCase()
  if (name.startsWith('[')) {
    const close = name.indexOf(']')
    name = close === -1 ? name : name.slice(0, close + 1)
  } else if (name.indexOf(':') === name.lastIndexOf(':')) {
    name = name.replace(/:\d*$/, '')
  }
  return name.endsWith('.') ? name.slice(0, -1) : name
}

/**
 * True when a canonical public host (see {@link canonicalHost}) is a host name or an IP
 * address. Anything else (`*.example.com`, `a..example.com`, `example.com..`, a host with
 * a bad port) is no name a tunnel or an app could be meant by: the request is refused.
 */
export function isValidHost(host: string): boolean {
  if (host.startsWith('[')) return /^\[[0-9a-f:.]+\]$/.test(host)
  return host.length <= 253 && namePattern.test(host)
}

/**
 * Checks a hostname pattern from the config. Returns the reason it is not valid, or
 * undefined when it is (after {@link canonicalHost}).
 */
export function hostnamePatternProblem(pattern: string): string | undefined {
  if (pattern.length > 253) return 'is longer than 253 characters'
  if (pattern.includes('://') || pattern.includes('/')) {
    return 'must be a bare hostname without scheme or path, for example "app.example.com"'
  }
  const wildcard = pattern.startsWith('*.')
  const rest = wildcard ? pattern.slice(2) : pattern
  if (rest.includes('*')) {
    return 'may hold "*" only as its whole first label, as in "*.example.com"'
  }
  if (!namePattern.test(rest)) {
    return 'is not a valid hostname: use letters, digits and "-" in dot-separated labels'
  }
  return undefined
}

/** True when canonical `host` matches canonical `pattern` (exact or `*.` wildcard). */
export function matchHostname(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return host === pattern
  const suffix = pattern.slice(1)
  return host.length > suffix.length && host.endsWith(suffix)
}
