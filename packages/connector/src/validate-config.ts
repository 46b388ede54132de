import { TUNNEL_PATH } from '@keyway/protocol'
import {
  connectorConfigDefaults,
  type ConnectorConfig,
  type MetricsAddress,
  type OriginRequestOptions,
} from './config.js'
import { ConfigError } from './errors.js'
import { describe, isMapping, Problems, readInteger, readString } from './problems.js'
import { readIngress, readOriginRequest } from './validate-ingress.js'

const topLevelKeys = [
  'relay',
  'ingress',
  'haConnections',
  'metrics',
  'originRequest',
  'gracePeriodMs',
  'connectorId',
  'heartbeatIntervalMs',
  'heartbeatTimeoutMs',
  'dialTimeoutMs',
] as const

const ms = { unit: 'milliseconds' }

/**
 * Validates a parsed config (for example YAML turned into plain values) and returns it
 * with defaults filled in, frozen. Lists in field paths are numbered from 1, as in
 * `ingress[2].service` for the second rule.
 *
 * @param file Named in every message; the config's file name, or any label.
 * @throws ConfigError listing every problem found.
 */
export function validateConnectorConfig(raw: unknown, file: string): ConnectorConfig {
  const problems = new Problems(file)
  if (!isMapping(raw)) {
    problems.add(
      '',
      `must be a YAML mapping with at least "relay" and "ingress", got ${describe(raw)}`,
    )
    throw new ConfigError(file, problems.list)
  }

  problems.unknownKeys(raw, topLevelKeys, '')
  const relays = readRelays(problems, raw.relay)
  const originRequest: OriginRequestOptions = Object.freeze({
    ...connectorConfigDefaults.originRequest,
    ...readOriginRequest(problems, raw.originRequest, 'originRequest'),
  })
  const ingress = readIngress(problems, raw.ingress, originRequest)
  const config: ConnectorConfig = {
    file,
    relays: Object.freeze(relays),
    ingress: Object.freeze(ingress),
    haConnections:
      readInteger(problems, raw.haConnections, 'haConnections', { min: 1, max: 64, example: 2 }) ??
      connectorConfigDefaults.haConnections,
    metrics: readMetrics(problems, raw.metrics),
    originRequest,
    gracePeriodMs:
      readInteger(problems, raw.gracePeriodMs, 'gracePeriodMs', {
        min: 0,
        max: 3_600_000,
        example: 30_000,
        ...ms,
      }) ?? connectorConfigDefaults.gracePeriodMs,
    connectorId: readConnectorId(problems, raw.connectorId),
    heartbeatIntervalMs:
      readInteger(problems, raw.heartbeatIntervalMs, 'heartbeatIntervalMs', {
        min: 100,
        max: 600_000,
        example: 15_000,
        ...ms,
      }) ?? connectorConfigDefaults.heartbeatIntervalMs,
    heartbeatTimeoutMs:
      readInteger(problems, raw.heartbeatTimeoutMs, 'heartbeatTimeoutMs', {
        min: 100,
        max: 600_000,
        example: 5_000,
        ...ms,
      }) ?? connectorConfigDefaults.heartbeatTimeoutMs,
    dialTimeoutMs:
      readInteger(problems, raw.dialTimeoutMs, 'dialTimeoutMs', {
        min: 100,
        max: 600_000,
        example: 10_000,
        ...ms,
      }) ?? connectorConfigDefaults.dialTimeoutMs,
  }

  if (problems.count > 0) throw new ConfigError(file, problems.list)
  return Object.freeze(config)
}

function readRelays(problems: Problems, raw: unknown): string[] {
  const example = 'for example "relay: wss://relay.example.com"'
  if (raw === undefined) {
    problems.add('relay', `is required: the relay's tunnel URL or a list of them, ${example}`)
    return []
  }
  if (typeof raw === 'string') {
    const url = readRelayUrl(problems, raw, 'relay')
    return url === undefined ? [] : [url]
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add('relay', `must be a ws:// or wss:// URL or a non-empty list of them, ${example}`)
    return []
  }
  const urls: string[] = []
  raw.forEach((item: unknown, index) => {
    const url = readRelayUrl(problems, item, `relay[${index + 1}]`)
    if (url !== undefined) urls.push(url)
  })
  return urls
}

function readRelayUrl(problems: Problems, raw: unknown, path: string): string | undefined {
  if (typeof raw !== 'string') {
    problems.add(path, `must be a ws:// or wss:// URL string, got ${describe(raw)}`)
    return undefined
  }
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    problems.add(path, `"${raw}" is not a URL; write it like wss://relay.example.com`)
    return undefined
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const fixed = raw.trim().replace(/^http/i, 'ws')
    problems.add(path, `must use ws:// or wss://, not ${url.protocol}//; write "${fixed}"`)
    return undefined
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    problems.add(path, `must use ws:// or wss://, got "${url.protocol}" in "${raw}"`)
    return undefined
  }
  if (url.username !== '' || url.password !== '') {
    problems.add(path, 'must not carry credentials; pass the tunnel token with --token-file')
    return undefined
  }
  if (url.hash !== '') {
    problems.add(path, `must not have a fragment; remove "${url.hash}"`)
    return undefined
  }
  if (url.pathname === '' || url.pathname === '/') url.pathname = TUNNEL_PATH
  return url.toString()
}

function readMetrics(problems: Problems, raw: unknown): MetricsAddress | undefined {
  if (raw === undefined) return undefined
  const fix = 'write it as host:port, for example "metrics: 127.0.0.1:9300"'
  if (typeof raw !== 'string') {
    problems.add('metrics', `must be a host:port string, got ${describe(raw)}; ${fix}`)
    return undefined
  }
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(raw.trim()) ?? /^([^:[\]\s]+):(\d+)$/.exec(raw.trim())
  const port = Number(match?.[2])
  if (match?.[1] === undefined || !Number.isInteger(port) || port > 65_535) {
    problems.add('metrics', `"${raw}" is not a host and port; ${fix}`)
    return undefined
  }
  return Object.freeze({ host: match[1], port })
}

function readConnectorId(problems: Problems, raw: unknown): string | undefined {
  const value = readString(problems, raw, 'connectorId')
  if (value !== undefined && !/^[A-Za-z0-9._-]{1,128}$/.test(value)) {
    problems.add('connectorId', 'must be 1-128 letters, digits, ".", "_" or "-"')
    return undefined
  }
  return value
}
