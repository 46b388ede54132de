import type { IngressRule } from './config.js'

/**
 * Ingress matching: which rule serves a request.
 *
 * Rules are tried in order and the first match wins; they are numbered from 1.
 *
 * **hostname**: an exact name (`app.example.com`) or one leading wildcard label
 * (`*.example.com`), compared without regard to case. The wildcard matches any name that
 * ends in `.example.com` with at least one label before it (`a.example.com`,
 * `a.b.example.com`), never the apex `example.com`. The request's host is compared without
 * its port and trailing dot. A rule without `hostname` matches every host.
 *
 * **path**: a JavaScript regular expression that must match the request path from its
 * start (a leading `^` is implied) up to a segment boundary: the match must end at the end
 * of the path, just before a `/`, or just after a `/`. So `/api` matches `/api`, `/api/` and
 * `/api/users` but neither `/apis` nor `/v2/api`; `/api/` matches `/api/users` but not
 * `/api`; `.*\.png` matches `/img/a.png`; end a pattern with `$` to match the whole path
 * exactly (`/health$`). The query string is not part of the path. Percent-escapes of
 * unreserved characters (letters, digits, `-._~`) are decoded before matching, so `/%61pi`
 * is matched as `/api`; other escapes such as `%2F` stay as written. Matching is
 * case-sensitive. A rule without `path` matches every path.
 *
 * The last rule must have neither `hostname` nor `path` (the catch-all).
 */

/** What {@link matchIngress} looks at. */
export interface IngressRequest {
  /** The request's host, with or without a port. */
  host: string
  /** The request target: a path, optionally with a query string. */
  path: string
}

/** The rule that serves a request, and its 1-based number. */
export interface IngressMatch {
  ruleNumber: number
  rule: IngressRule
}

/**
 * Compiles a rule's `path` into its anchored form.
 *
 * @throws SyntaxError when the pattern is not a valid regular expression.
 */
export function compilePathPattern(pattern: string): RegExp {
  const body = pattern.startsWith('^') ? pattern.slice(1) : pattern
  return new RegExp(`^(?:${body})(?:$|(?<=/)|(?=/))`)
}

/** Lower case, no port, no trailing dot: the form hostnames are compared in. */
export function canonicalHost(host: string): string {
  let name = host.trim().toLowerCase()
  if (name.startsWith('[')) {
    const close = name.indexOf(']')
    name = close === -1 ? name : name.slice(0, close + 1)
  } else if (name.indexOf(':') === name.lastIndexOf(':')) {
    name = name.replace(/:\d*$/, '')
  }
  return name.replace(/\.$/, '')
}

/** The path part of a request target, with unreserved percent-escapes decoded. */
export function requestPath(target: string): string {
  const end = target.search(/[?#]/)
  const path = end === -1 ? target : target.slice(0, end)
  const decoded = path.replace(/%([0-9A-Fa-f]{2})/g, (escape: string, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16))
    return /^[A-Za-z0-9\-._~]$/.test(char) ? char : escape
  })
  return decoded === '' ? '/' : decoded
}

/** True when `host` (canonical) matches a rule's hostname (canonical, maybe wildcard). */
export function matchHostname(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1)
    return host.length > suffix.length && host.endsWith(suffix)
  }
  return host === pattern
}

/** The first rule that matches, or undefined when none does (a valid config always matches). */
export function matchIngress(
  rules: readonly IngressRule[],
  request: IngressRequest,
): IngressMatch | undefined {
  const host = canonicalHost(request.host)
  const path = requestPath(request.path)
  for (const rule of rules) {
    if (rule.hostname !== undefined && !matchHostname(rule.hostname, host)) continue
    if (rule.pathPattern !== undefined && !rule.pathPattern.test(path)) continue
    return { ruleNumber: rule.number, rule }
  }
  return undefined
}

/** Describes what a rule matches, for example `hostname "*.example.com", path "/api"`. */
export function describeRuleMatch(rule: IngressRule): string {
  const parts: string[] = []
  if (rule.hostname !== undefined) parts.push(`hostname "${rule.hostname}"`)
  if (rule.path !== undefined) parts.push(`path "${rule.path}"`)
  return parts.length === 0 ? 'everything else (catch-all)' : parts.join(', ')
}

/**
 * Renders the rules one per line for `keyway tunnel ingress validate`, for example
 * `rule 1: hostname "app.example.com", path "/api" -> http://127.0.0.1:8080`.
 */
export function renderIngressRules(rules: readonly IngressRule[]): string {
  return rules
    .map((rule) => `rule ${rule.number}: ${describeRuleMatch(rule)} -> ${rule.service.source}`)
    .join('\n')
}
