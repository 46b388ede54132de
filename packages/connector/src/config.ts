import type { IngressService } from './service.js'

/** How the connector talks to an origin; set at the top level and per rule. */
export interface OriginRequestOptions {
  /** Time allowed to open the TCP (and TLS) connection to the origin. Default 10000. */
  readonly connectTimeoutMs: number
  /** Accept any TLS certificate from an `https://` origin. Default false. */
  readonly noTLSVerify: boolean
  /** Replaces the `Host` header sent to the origin. Default: the public request's Host. */
  readonly httpHostHeader: string | undefined
  /** TLS server name (SNI) for an `https://` origin. Default: the service's host name. */
  readonly originServerName: string | undefined
  /** Idle keep-alive connections kept open per rule. Default 100. */
  readonly keepAliveConnections: number
  /** How long an idle keep-alive connection is kept. Default 90000. */
  readonly keepAliveTimeoutMs: number
  /** Connections open at once per rule; further requests wait for one. Default 1024. */
  readonly maxConnections: number
}

/** One ingress rule, numbered from 1 in the order written. */
export interface IngressRule {
  readonly number: number
  /** Lower-cased exact name or `*.suffix` wildcard; absent matches every host. */
  readonly hostname: string | undefined
  /** The path pattern as written; absent matches every path. */
  readonly path: string | undefined
  /** The compiled, anchored form of `path` (see `compilePathPattern`). */
  readonly pathPattern: RegExp | undefined
  readonly service: IngressService
  /** Top-level `originRequest` merged with the rule's own. */
  readonly originRequest: OriginRequestOptions
}

/** Address of the local metrics and readiness server. */
export interface MetricsAddress {
  readonly host: string
  readonly port: number
}

/** A validated, frozen connector config. */
export interface ConnectorConfig {
  /** The file it came from, for messages. */
  readonly file: string
  /** Relay tunnel URLs (`ws:` or `wss:`), path defaulted to the tunnel path. */
  readonly relays: readonly string[]
  readonly ingress: readonly IngressRule[]
  /** Connections kept open; connection `i` dials `relays[i % relays.length]`. Default 2. */
  readonly haConnections: number
  readonly metrics: MetricsAddress | undefined
  /** Top-level origin defaults (already merged into each rule). */
  readonly originRequest: OriginRequestOptions
  /** How long draining waits for streams under way. Default 30000. */
  readonly gracePeriodMs: number
  /** Identifies this connector process to the relay; random per process when absent. */
  readonly connectorId: string | undefined
  /** Interval between liveness pings on each connection. Default 15000. */
  readonly heartbeatIntervalMs: number
  /** A ping not answered within this time drops the connection. Default 5000. */
  readonly heartbeatTimeoutMs: number
  /** Time allowed for the WebSocket dial and handshake to the relay. Default 10000. */
  readonly dialTimeoutMs: number
}

/** Defaults for every optional key. */
export const connectorConfigDefaults = Object.freeze({
  haConnections: 2,
  gracePeriodMs: 30_000,
  heartbeatIntervalMs: 15_000,
  heartbeatTimeoutMs: 5_000,
  dialTimeoutMs: 10_000,
  originRequest: Object.freeze({
    connectTimeoutMs: 10_000,
    noTLSVerify: false,
    httpHostHeader: undefined,
    originServerName: undefined,
    keepAliveConnections: 100,
    keepAliveTimeoutMs: 90_000,
    maxConnections: 1024,
  }) satisfies OriginRequestOptions,
})
