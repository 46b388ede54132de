import * as path from 'node:path'
import {
  relayConfigDefaults,
  type ListenAddress,
  type RelayConfig,
  type RelayLimits,
  type TlsFiles,
  type TunnelRoute,
} from './config.js'
import { ConfigError } from './errors.js'
import { canonicalHost, hostnamePatternProblem } from './hostnames.js'
import { describe, isMapping, Problems, readInteger, type IntegerRule } from './problems.js'

const topLevelKeys = [
  'listen',
  'tls',
  'tunnelListen',
  'tunnelTls',
  'dataDir',
  'tunnels',
  'access',
  'limits',
  'gracePeriodMs',
] as const

const second = 1_000
const hour = 3_600 * second
const limitRules: Record<keyof RelayLimits, IntegerRule> = {
  // The forwarded head must fit the tunnel's header block limit once encoded.
  maxHeaderBytes: { min: 1_024, max: 64 * 1024, example: 16_384 },
  headersTimeoutMs: { min: 100, max: hour, example: 30_000 },
  requestTimeoutMs: { min: 0, max: 24 * hour, example: 300_000 },
  keepAliveTimeoutMs: { min: 100, max: hour, example: 5_000 },
  maxPublicConnections: { min: 1, max: 1_000_000, example: 10_000 },
  maxStreamsPerConnection: { min: 1, max: 16_384, example: 1_000 },
  maxConnectionsPerTunnel: { min: 1, max: 10_000, example: 64 },
  maxTunnelMessageBytes: { min: 64 * 1024, max: 64 * 1024 * 1024, example: 4_194_304 },
  registerTimeoutMs: { min: 100, max: 10 * 60 * second, example: 10_000 },
  tunnelPingIntervalMs: { min: 100, max: hour, example: 15_000 },
  tunnelPingTimeoutMs: { min: 100, max: hour, example: 5_000 },
  responseTimeoutMs: { min: 100, max: 24 * hour, example: 100_000 },
}
const tunnelNamePattern = /^[A-Za-z0-9_-]{1,128}$/

/**
 * Validates a parsed relay config and returns it with defaults filled in and paths made
 * absolute (relative to the config file's folder), frozen. List positions in messages
 * count from 1, as in `tunnels[2].hostnames[1]`.
 *
 * @param file Named in every message, and the base of relative paths.
 * @throws ConfigError listing every problem found.
 */
export function validateRelayConfig(raw: unknown, file: string): RelayConfig {
  const problems = new Problems(file)
  if (!isMapping(raw)) {
    problems.add('', `must be a YAML mapping with "listen", "tunnelListen", "dataDir" and ` +
      `"tunnels", got ${describe(raw)}`)
    throw new ConfigError(file, problems.list)
  }
  const base = path.dirname(path.resolve(file))

  problems.unknownKeys(raw, topLevelKeys, '')
  const config: RelayConfig = {
    file,
    listen: readAddress(problems, raw.listen, 'listen', '0.0.0.0:8080'),
    tls: readTls(problems, raw.tls, 'tls', base),
    tunnelListen: readAddress(problems, raw.tunnelListen, 'tunnelListen', '0.0.0.0:8081'),
    tunnelTls: readTls(problems, raw.tunnelTls, 'tunnelTls', base),
    dataDir: readDataDir(problems, raw.dataDir, base),
    tunnels: readTunnels(problems, raw.tunnels),
    access: raw.access,
    limits: readLimits(problems, raw.limits),
    gracePeriodMs:
      readInteger(problems, raw.gracePeriodMs, 'gracePeriodMs', {
        min: 0,
        max: hour,
        example: 30_000,
      }) ?? relayConfigDefaults.gracePeriodMs,
  }

  if (problems.count > 0) throw new ConfigError(file, problems.list)
  return Object.freeze(config)
}

function readAddress(
  problems: Problems,
  raw: unknown,
  key: string,
  example: string,
): ListenAddress {
  const fix = `write it as host:port, for example "${key}: ${example}"`
  if (raw === undefined) {
    problems.add(key, `is required; ${fix}`)
    return { host: '', port: 0 }
  }
  if (typeof raw !== 'string') {
    problems.add(key, `must be a host:port string, got ${describe(raw)}; ${fix}`)
    return { host: '', port: 0 }
  }
  const text = raw.trim()
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]\s]+):(\d{1,5})$/.exec(text)
  const port = Number(match?.[2])
  if (match?.[1] === undefined || port > 65_535) {
    problems.add(key, `"${raw}" is not a host and port (0-65535); ${fix}`)
    return { host: '', port: 0 }
  }
  return Object.freeze({ host: match[1], port })
}

function readTls(
  problems: Problems,
  raw: unknown,
  key: string,
  base: string,
): TlsFiles | undefined {
  if (raw === undefined) return undefined
  const fix = `write it as "${key}: { cert: cert.pem, key: key.pem }"`
  if (!isMapping(raw)) {
    problems.add(key, `must be a mapping with "cert" and "key", got ${describe(raw)}; ${fix}`)
    return undefined
  }
  problems.unknownKeys(raw, ['cert', 'key'], key)
  const files: Record<string, string> = {}
  for (const part of ['cert', 'key']) {
    const value = raw[part]
    if (typeof value !== 'string' || value.trim() === '') {
      const got = value === undefined ? 'it is missing' : `got ${describe(value)}`
      problems.add(`${key}.${part}`, `must be the path of a PEM file, ${got}; ` +
        `${fix} (relative paths start at the config file's folder)`)
      continue
    }
    files[part] = path.resolve(base, value.trim())
  }
  if (files.cert === undefined || files.key === undefined) return undefined
  return Object.freeze({ cert: files.cert, key: files.key })
}

function readDataDir(problems: Problems, raw: unknown, base: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    const got = raw === undefined ? 'it is missing' : `got ${describe(raw)}`
    problems.add('dataDir', `must be the path of the relay's state folder, ${got}; ` +
      'for example "dataDir: ./relay-data" (relative to the config file)')
    return ''
  }
  return path.resolve(base, raw.trim())
}

function readTunnels(problems: Problems, raw: unknown): readonly TunnelRoute[] {
  const example = 'for example "tunnels: [{ name: app, hostnames: [app.example.com] }]"'
  if (!Array.isArray(raw)) {
    const got = raw === undefined ? 'it is missing' : `got ${describe(raw)}`
    problems.add('tunnels', `must be a list of { name, hostnames }, ${got}; ${example}`)
    return []
  }
  const names = new Map<string, number>()
  const owners = new Map<string, string>()
  const routes: TunnelRoute[] = []
  raw.forEach((item: unknown, index) => {
    const at = `tunnels[${index + 1}]`
    if (!isMapping(item)) {
      problems.add(at, `must be a mapping { name, hostnames }, got ${describe(item)}; ${example}`)
      return
    }
    problems.unknownKeys(item, ['name', 'hostnames'], at)
    const name = readTunnelName(problems, item.name, at, names, index + 1)
    const hostnames = readHostnames(problems, item.hostnames, at, name, owners)
    if (name !== undefined) routes.push(Object.freeze({ name, hostnames }))
  })
  return Object.freeze(routes)
}

function readTunnelName(
  problems: Problems,
  raw: unknown,
  at: string,
  names: Map<string, number>,
  position: number,
): string | undefined {
  if (typeof raw !== 'string' || !tunnelNamePattern.test(raw)) {
    problems.add(`${at}.name`, 'must be 1-128 letters, digits, "_" or "-", got ' +
      `${describe(raw)}; for example "name: app"`)
    return undefined
  }
  const earlier = names.get(raw)
  if (earlier !== undefined) {
    problems.add(`${at}.name`, `"${raw}" is already the name of tunnels[${earlier}]; ` +
      'give each tunnel its own name')
    return undefined
  }
  names.set(raw, position)
  return raw
}

function readHostnames(
  problems: Problems,
  raw: unknown,
  at: string,
  tunnel: string | undefined,
  owners: Map<string, string>,
): readonly string[] {
  const key = `${at}.hostnames`
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add(key, `must be a non-empty list of hostnames, got ${describe(raw)}; ` +
      'for example "hostnames: [app.example.com, \'*.apps.example.com\']"')
    return []
  }
  const hostnames: string[] = []
  raw.forEach((item: unknown, index) => {
    const field = `${key}[${index + 1}]`
    if (typeof item !== 'string') {
      problems.add(field, `must be a hostname string, got ${describe(item)}`)
      return
    }
    const name = canonicalHost(item)
    const problem = hostnamePatternProblem(name)
    if (problem !== undefined) {
      problems.add(field, `"${item}" ${problem}`)
      return
    }
    const owner = owners.get(name)
    if (owner !== undefined) {
      problems.add(field, `"${name}" is already listed at ${owner}; ` +
        'a hostname may belong to one tunnel only, so remove one of them')
      return
    }
    owners.set(name, tunnel === undefined ? field : `${field} (tunnel "${tunnel}")`)
    hostnames.push(name)
  })
  return Object.freeze(hostnames)
}

function readLimits(problems: Problems, raw: unknown): RelayLimits {
  const defaults = relayConfigDefaults.limits
  if (raw === undefined) return defaults
  if (!isMapping(raw)) {
    problems.add('limits', `must be a mapping of limit names to numbers, got ${describe(raw)}; ` +
      'for example "limits: { maxHeaderBytes: 16384 }"')
    return defaults
  }
  const keys = Object.keys(limitRules) as Array<keyof RelayLimits>
  problems.unknownKeys(raw, keys, 'limits')
  const limits: Record<string, number> = { ...defaults }
  for (const key of keys) {
    const value = readInteger(problems, raw[key], `limits.${key}`, limitRules[key])
    if (value !== undefined) limits[key] = value
  }
  if ((limits.tunnelPingTimeoutMs ?? 0) > (limits.tunnelPingIntervalMs ?? 0)) {
    problems.add('limits.tunnelPingTimeoutMs', 'must not be larger than ' +
      '"limits.tunnelPingIntervalMs"; lower it or raise the interval')
  }
  const requestTimeoutMs = limits.requestTimeoutMs ?? 0
  if (requestTimeoutMs > 0 && (limits.headersTimeoutMs ?? 0) > requestTimeoutMs) {
    problems.add('limits.headersTimeoutMs', 'must not be larger than ' +
      '"limits.requestTimeoutMs" (the whole request includes its head); lower it')
  }
  return Object.freeze(limits as unknown as RelayLimits)
}
