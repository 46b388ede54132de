import { createHash } from 'node:crypto'

import { parseDomainPattern } from './domain-pattern.js'
import { describe, isMapping, readString, readStringList, type Problems } from './problems.js'
import { accessConfigDefaults } from './types.js'
import type {
  AppConfig, CorsConfig, DomainPattern, LauncherKind, Policy, RuleGroup,
} from './types.js'
import { parsePolicy, readDuration } from './validate-policies.js'
import { parseTcpSessions } from './validate-tcp.js'

const appKeys = [
  'name', 'domains', 'sessionDuration', 'policies', 'cors', 'public', 'cloudflareHeaders',
  'launcher', 'tcp',
]
const launcherKinds: readonly LauncherKind[] = ['web', 'ssh', 'rdp', 'tcp', 'hidden']

/** The `aud` of an app's tokens: stable for a name, 64 hex characters. */
export function audienceTag(appName: string): string {
  return createHash('sha256').update(`keyway-app\0${appName}`).digest('hex')
}

/**
 * Parses `apps`, checking that no two apps claim the same domain entry. `type: saml` entries
 * are left to `parseSamlApps`.
 */
export function parseApps(
  problems: Problems,
  raw: unknown,
  path: string,
  ruleGroups: Readonly<Record<string, RuleGroup>>,
): AppConfig[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add(path, `must be a non-empty list of apps, got ${describe(raw)}; for example ` +
      'apps: [{ name: wiki, domains: [wiki.example.com], policies: [...] }]')
    return []
  }
  const apps: AppConfig[] = []
  const claimed = new Map<string, string>()
  for (const [index, item] of raw.entries()) {
    if (isMapping(item) && item['type'] === 'saml') continue
    const app = parseApp(problems, item, `${path}[${index}]`, ruleGroups)
    if (app === undefined) continue
    if (apps.some((other) => other.name === app.name)) {
      problems.add(`${path}[${index}].name`, `repeats the app name "${app.name}"; names are unique`)
    }
    for (const [domainIndex, domain] of app.domains.entries()) {
      const owner = claimed.get(domain.text)
      if (owner !== undefined) {
        problems.add(`${path}[${index}].domains[${domainIndex}]`, `"${domain.text}" is ` +
          `already claimed by app "${owner}"; each host/path belongs to one app`)
      }
      claimed.set(domain.text, app.name)
    }
    apps.push(app)
  }
  return apps
}

function parseApp(
  problems: Problems,
  raw: unknown,
  path: string,
  ruleGroups: Readonly<Record<string, RuleGroup>>,
): AppConfig | undefined {
  if (!isMapping(raw)) {
    problems.add(path, `must be a mapping { name, domains, policies }, got ${describe(raw)}`)
    return undefined
  }
  problems.unknownKeys(raw, appKeys, path)
  const name = readString(problems, raw['name'], `${path}.name`, 'name: wiki')
  const domains = parseDomains(problems, raw['domains'], `${path}.domains`)
  const sessionDurationMs =
    readDuration(problems, raw['sessionDuration'], `${path}.sessionDuration`)
  const isPublic = readFlag(problems, raw['public'], `${path}.public`)
  const cloudflareHeaders =
    readFlag(problems, raw['cloudflareHeaders'], `${path}.cloudflareHeaders`)
  const policies =
    parsePolicies(problems, raw['policies'], `${path}.policies`, ruleGroups, isPublic)
  const cors = parseCors(problems, raw['cors'], `${path}.cors`)
  const launcher = readLauncher(problems, raw['launcher'], `${path}.launcher`)
  const tcp = parseTcpSessions(problems, raw['tcp'], `${path}.tcp`)
  if (name === undefined) return undefined
  return Object.freeze({
    name,
    domains: Object.freeze(domains),
    audience: audienceTag(name),
    sessionDurationMs,
    policies: Object.freeze(policies),
    public: isPublic,
    cors,
    cloudflareHeaders,
    launcher,
    ...(tcp === undefined ? {} : { tcp }),
  })
}

function readLauncher(problems: Problems, value: unknown, path: string): LauncherKind {
  if (value === undefined) return 'web'
  if (typeof value === 'string' && (launcherKinds as readonly string[]).includes(value)) {
    return value as LauncherKind
  }
  problems.add(path, `must be one of ${launcherKinds.join(', ')}, got ${describe(value)}; ` +
    'ssh, rdp and tcp show the command that connects, hidden leaves the app out of the launcher')
  return 'web'
}

function readFlag(problems: Problems, value: unknown, path: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') {
    problems.add(path, `must be true or false, got ${describe(value)}`)
  }
  return value === true
}

function parseDomains(problems: Problems, raw: unknown, path: string): DomainPattern[] {
  const texts =
    readStringList(problems, raw, path, 'domains: [wiki.example.com, example.com/admin]')
  if (texts === undefined) return []
  const out: DomainPattern[] = []
  for (const [index, text] of texts.entries()) {
    const parsed = parseDomainPattern(text)
    if (typeof parsed === 'string') problems.add(`${path}[${index}]`, parsed)
    else out.push(parsed)
  }
  return out
}

/** Parses an app's `policies` list; a public app must have none. */
export function parsePolicies(
  problems: Problems,
  raw: unknown,
  path: string,
  ruleGroups: Readonly<Record<string, RuleGroup>>,
  isPublic: boolean,
): Policy[] {
  if (isPublic) {
    if (raw !== undefined) {
      problems.add(path, 'must be absent on a "public: true" app: a public app has no policies; ' +
        'remove "public" to protect it')
    }
    return []
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add(path, `must be a non-empty list of policies, got ${describe(raw)}; for ` +
      'example policies: [{ name: staff, action: allow, include: [{ emailDomain: ' +
      '[example.com] }] }], or declare the app "public: true"')
    return []
  }
  const policies: Policy[] = []
  for (const [index, item] of raw.entries()) {
    const policy = parsePolicy(problems, item, `${path}[${index}]`, ruleGroups)
    if (policy === undefined) continue
    if (policies.some((other) => other.name === policy.name)) {
      problems.add(`${path}[${index}].name`, `repeats the policy name "${policy.name}"`)
    }
    policies.push(policy)
  }
  return policies
}

function parseCors(problems: Problems, raw: unknown, path: string): CorsConfig | undefined {
  if (raw === undefined) return undefined
  if (!isMapping(raw)) {
    problems.add(path, `must be a mapping with "preflight: origin" or "preflight: relay", got ` +
      describe(raw))
    return undefined
  }
  const preflight = raw['preflight']
  if (preflight === 'origin') {
    problems.unknownKeys(raw, ['preflight'], path)
    return Object.freeze({ preflight })
  }
  if (preflight !== 'relay') {
    problems.add(`${path}.preflight`, `must be "origin" (pass preflights to the origin) or ` +
      `"relay" (the relay answers them), got ${describe(preflight)}`)
    return undefined
  }
  problems.unknownKeys(raw, ['preflight', 'allowedOrigins', 'allowedMethods', 'allowedHeaders',
    'allowCredentials', 'maxAge'], path)
  const allowedOrigins = readStringList(problems, raw['allowedOrigins'], `${path}.allowedOrigins`,
    'allowedOrigins: [https://app.example.com]') ?? []
  const allowedMethods = raw['allowedMethods'] === undefined ? ['GET', 'POST'] :
    (readStringList(problems, raw['allowedMethods'], `${path}.allowedMethods`, '[GET, POST]') ?? [])
  const allowedHeaders = raw['allowedHeaders'] === undefined ? [] :
    (readStringList(problems, raw['allowedHeaders'], `${path}.allowedHeaders`,
      '[content-type]') ?? [])
  const allowCredentials = readFlag(problems, raw['allowCredentials'], `${path}.allowCredentials`)
  const maxAgeMs = readDuration(problems, raw['maxAge'], `${path}.maxAge`)
  if (allowCredentials && allowedOrigins.includes('*')) {
    problems.add(`${path}.allowedOrigins`, 'may not be "*" with allowCredentials: true; list the ' +
      'origins')
  }
  return Object.freeze({
    preflight: 'relay',
    allowedOrigins: Object.freeze(allowedOrigins),
    allowedMethods: Object.freeze(allowedMethods.map((method) => method.toUpperCase())),
    allowedHeaders: Object.freeze(allowedHeaders.map((header) => header.toLowerCase())),
    allowCredentials,
    maxAgeSeconds: maxAgeMs === undefined ? accessConfigDefaults.corsMaxAgeSeconds
      : Math.round(maxAgeMs / 1000),
  })
}
