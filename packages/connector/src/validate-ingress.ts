import type { IngressRule, OriginRequestOptions } from './config.js'
import { compilePathPattern } from './ingress.js'
import {
  describe,
  isMapping,
  readBoolean,
  readInteger,
  readString,
  type Problems,
} from './problems.js'
import { parseService } from './service.js'

const ruleKeys = ['hostname', 'path', 'service', 'originRequest'] as const
const originRequestKeys = [
  'connectTimeoutMs',
  'noTLSVerify',
  'httpHostHeader',
  'originServerName',
  'keepAliveConnections',
  'keepAliveTimeoutMs',
  'maxConnections',
] as const

const CATCH_ALL_EXAMPLE = 'for example "- service: http_status:404"'
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/

/** Reads an `originRequest` mapping; returns only the keys that are present and valid. */
export function readOriginRequest(
  problems: Problems,
  raw: unknown,
  path: string,
): Partial<OriginRequestOptions> {
  if (raw === undefined) return {}
  if (!isMapping(raw)) {
    problems.add(path, `must be a mapping of ${originRequestKeys.join(', ')}; got ${describe(raw)}`)
    return {}
  }
  problems.unknownKeys(raw, originRequestKeys, path)
  const ms = { unit: 'milliseconds' }
  const options: Partial<Record<keyof OriginRequestOptions, unknown>> = {
    connectTimeoutMs: readInteger(problems, raw.connectTimeoutMs, `${path}.connectTimeoutMs`, {
      min: 1,
      max: 600_000,
      example: 10_000,
      ...ms,
    }),
    noTLSVerify: readBoolean(problems, raw.noTLSVerify, `${path}.noTLSVerify`),
    httpHostHeader: readHostValue(problems, raw.httpHostHeader, `${path}.httpHostHeader`),
    originServerName: readHostValue(problems, raw.originServerName, `${path}.originServerName`),
    keepAliveConnections: readInteger(
      problems,
      raw.keepAliveConnections,
      `${path}.keepAliveConnections`,
      { min: 0, max: 10_000, example: 100 },
    ),
    keepAliveTimeoutMs: readInteger(
      problems,
      raw.keepAliveTimeoutMs,
      `${path}.keepAliveTimeoutMs`,
      { min: 1, max: 3_600_000, example: 90_000, ...ms },
    ),
    maxConnections: readInteger(problems, raw.maxConnections, `${path}.maxConnections`, {
      min: 1,
      max: 100_000,
      example: 1024,
    }),
  }
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<OriginRequestOptions>
}

function readHostValue(problems: Problems, raw: unknown, path: string): string | undefined {
  const value = readString(problems, raw, path)
  if (value !== undefined && !/^[\x21-\x7e]+$/.test(value)) {
    problems.add(path, 'must be a host name without spaces or control characters')
    return undefined
  }
  return value
}

/** Validates the `ingress` list against the merged top-level origin defaults. */
export function readIngress(
  problems: Problems,
  raw: unknown,
  defaults: OriginRequestOptions,
): IngressRule[] {
  if (raw === undefined) {
    problems.add(
      'ingress',
      `is required: a list of rules ending with a catch-all, ${CATCH_ALL_EXAMPLE}`,
    )
    return []
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add('ingress', `must be a non-empty list of rules, got ${describe(raw)}`)
    return []
  }

  const rules: IngressRule[] = []
  raw.forEach((item: unknown, index) => {
    const rule = readRule(problems, item, index + 1, defaults)
    if (rule !== undefined) rules.push(rule)
  })
  checkCatchAll(problems, raw)
  return rules
}

function readRule(
  problems: Problems,
  raw: unknown,
  number: number,
  defaults: OriginRequestOptions,
): IngressRule | undefined {
  const path = `ingress[${number}]`
  if (!isMapping(raw)) {
    problems.add(
      path,
      'must be a mapping with "service" and optional "hostname" and "path"; ' +
        `got ${describe(raw)}`,
    )
    return undefined
  }
  problems.unknownKeys(raw, ruleKeys, path)
  const before = problems.count
  const hostname = readHostname(problems, raw.hostname, `${path}.hostname`)
  const pattern = readPathPattern(problems, raw.path, `${path}.path`)
  const service = readService(problems, raw.service, `${path}.service`)
  const overrides = readOriginRequest(problems, raw.originRequest, `${path}.originRequest`)
  if (service === undefined || problems.count > before) return undefined

  return Object.freeze({
    number,
    hostname,
    path: pattern?.source,
    pathPattern: pattern?.compiled,
    service: Object.freeze(service),
    originRequest: Object.freeze({ ...defaults, ...overrides }),
  })
}

function readService(problems: Problems, raw: unknown, path: string) {
  if (raw === undefined) {
    problems.add(path, 'is required, for example "service: http://127.0.0.1:8080"')
    return undefined
  }
  if (typeof raw !== 'string') {
    problems.add(path, `must be a string such as http://127.0.0.1:8080, got ${describe(raw)}`)
    return undefined
  }
  const parsed = parseService(raw)
  if ('problem' in parsed) {
    problems.add(path, `is wrong: ${parsed.problem}`)
    return undefined
  }
  return parsed.service
}

function readHostname(problems: Problems, raw: unknown, path: string): string | undefined {
  const value = readString(problems, raw, path)
  if (value === undefined) return undefined
  const name = value.toLowerCase().replace(/\.$/, '')
  if (name === '*') {
    problems.add(path, 'is "*"; remove "hostname" to match every host')
  } else if (name.includes('://') || name.includes('/')) {
    problems.add(path, `must be a host name, not a URL; write "${hostOfUrl(name)}"`)
  } else if (/:\d*$/.test(name)) {
    problems.add(path, `must not include a port; write "${name.replace(/:\d*$/, '')}"`)
  } else if (name.slice(2).includes('*') || (name.includes('*') && !name.startsWith('*.'))) {
    problems.add(path, `"${value}" may only use "*." as its first label, as in "*.example.com"`)
  } else if (!name.replace(/^\*\./, '').split('.').every((label) => LABEL.test(label))) {
    problems.add(path, `"${value}" is not a valid host name (letters, digits, "-" and ".")`)
  } else {
    return name
  }
  return undefined
}

function hostOfUrl(text: string): string {
  try {
    return new URL(text.includes('://') ? text : `http://${text}`).hostname
  } catch {
    return 'app.example.com'
  }
}

function readPathPattern(problems: Problems, raw: unknown, path: string) {
  if (raw === undefined) return undefined
  if (typeof raw !== 'string' || raw === '') {
    problems.add(path, `must be a non-empty string such as "/api", got ${describe(raw)}`)
    return undefined
  }
  if (/^[A-Za-z0-9]/.test(raw)) {
    problems.add(
      path,
      `"${raw}" never matches because request paths start with "/"; write "/${raw}"`,
    )
    return undefined
  }
  try {
    return { source: raw, compiled: compilePathPattern(raw) }
  } catch (err) {
    problems.add(path, `"${raw}" is not a valid regular expression (${(err as Error).message})`)
    return undefined
  }
}

function checkCatchAll(problems: Problems, raw: unknown[]): void {
  const isCatchAll = (item: unknown) =>
    isMapping(item) && item.hostname === undefined && item.path === undefined
  raw.forEach((item, index) => {
    const number = index + 1
    if (number < raw.length && isCatchAll(item)) {
      const later =
        number + 1 === raw.length
          ? `rule ${raw.length} is`
          : `rules ${number + 1}-${raw.length} are`
      problems.add(
        `ingress[${number}]`,
        `matches every request, so ${later} never used; ` +
          'move it to the end or give it a "hostname" or "path"',
      )
    }
  })
  if (!isCatchAll(raw[raw.length - 1])) {
    problems.add(
      `ingress[${raw.length}]`,
      'is the last rule and must be a catch-all without "hostname" and "path", so that ' +
        `every request has a rule; add one at the end, ${CATCH_ALL_EXAMPLE}`,
    )
  }
}
