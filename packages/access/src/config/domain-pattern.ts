import type { DomainPattern } from './types.js'

const label = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?'
const hostPattern = new RegExp(`^${label}(?:\\.${label})*$`)

/**
 * Parses one `domains` entry: `host`, `*.suffix`, `host/path` or `*.suffix/path`. Returns
 * the pattern, or the reason the entry is not valid.
 */
export function parseDomainPattern(text: string): DomainPattern | string {
  const lower = text.trim().toLowerCase()
  if (lower.includes('://')) return 'must not hold a scheme: write "app.example.com/path"'
  const slash = lower.indexOf('/')
  const host = slash === -1 ? lower : lower.slice(0, slash)
  const rawPath = slash === -1 ? '/' : lower.slice(slash)
  const wildcard = host.startsWith('*.')
  const rest = wildcard ? host.slice(2) : host
  if (host.length > 253 || !hostPattern.test(rest)) {
    return 'is not a valid hostname: use letters, digits and "-" in dot-separated labels, ' +
      'with "*." only as the whole first label'
  }
  if (/[?#%\\]/.test(rawPath) || rawPath.split('/').some((seg) => seg === '.' || seg === '..')) {
    return 'has a path with "?", "#", "%", "\\" or a dot segment; write a plain prefix like /admin'
  }
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') || '/' : '/'
  return Object.freeze({ text: `${host}${path === '/' ? '' : path}`, host, wildcard, path })
}

/** True when canonical `host` matches `pattern`'s host (exact, or one or more labels before). */
export function hostMatches(pattern: DomainPattern, host: string): boolean {
  if (!pattern.wildcard) return host === pattern.host
  const suffix = pattern.host.slice(1)
  return host.length > suffix.length && host.endsWith(suffix)
}

/** True when normalised `path` equals the prefix or continues it at a `/`. */
export function pathMatches(pattern: DomainPattern, path: string): boolean {
  if (pattern.path === '/') return true
  if (!path.startsWith(pattern.path)) return false
  return path.length === pattern.path.length || path[pattern.path.length] === '/'
}
