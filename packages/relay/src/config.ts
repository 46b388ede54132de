import { MAX_TUNNEL_MESSAGE_BYTES } from '@keyway/protocol'

/** A `host:port` address to listen on; port 0 picks a free port. */
export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** PEM files for a TLS listener, as absolute paths. */
export interface TlsFiles {
  readonly cert: string
  readonly key: string
}

/** One tunnel and the public hostnames routed to it. */
export interface TunnelRoute {
  readonly name: string
  /** Lower-cased exact names or `*.suffix` wildcards (the apex is not covered). */
  readonly hostnames: readonly string[]
}

/** Bounds on what one client, request or tunnel connection may use. All finite. */
export interface RelayLimits {
  /** Largest request head (request line and headers) from a public client. */
  readonly maxHeaderBytes: number
  /** Time a public client has to send its complete request head. */
  readonly headersTimeoutMs: number
  /** Time a public client has to send its complete request, body included. */
  readonly requestTimeoutMs: number
  /** How long an idle keep-alive public connection is kept open. */
  readonly keepAliveTimeoutMs: number
  /** Public connections open at once; further ones are closed on arrival. */
  readonly maxPublicConnections: number
  /** Streams open at once on one tunnel connection; beyond, requests get 503. */
  readonly maxStreamsPerConnection: number
  /** Tunnel connections one tunnel may hold at once; further dials get 503. */
  readonly maxConnectionsPerTunnel: number
  /** Largest WebSocket message accepted on a tunnel connection. */
  readonly maxTunnelMessageBytes: number
  /** Time a connector has to answer the registration stream. */
  readonly registerTimeoutMs: number
  /** Interval between the relay's liveness pings on each tunnel connection. */
  readonly tunnelPingIntervalMs: number
  /** A ping not answered within this time drops the tunnel connection. */
  readonly tunnelPingTimeoutMs: number
  /** Time the connector has to answer a forwarded request with a status. */
  readonly responseTimeoutMs: number
}

/** A validated, frozen relay config. */
export interface RelayConfig {
  /** The file it came from, for messages. */
  readonly file: string
  readonly listen: ListenAddress
  readonly tls: TlsFiles | undefined
  readonly tunnelListen: ListenAddress
  readonly tunnelTls: TlsFiles | undefined
  /** Absolute path of the relay's state folder (created with mode 0700). */
  readonly dataDir: string
  readonly tunnels: readonly TunnelRoute[]
  /** The raw `access:` section, validated by the access layer. */
  readonly access: unknown
  readonly limits: RelayLimits
  /** How long draining waits for requests under way. */
  readonly gracePeriodMs: number
}

/** Defaults of every optional key. */
export const relayConfigDefaults = Object.freeze({
  gracePeriodMs: 30_000,
  limits: Object.freeze({
    maxHeaderBytes: 16 * 1024,
    headersTimeoutMs: 30_000,
    requestTimeoutMs: 300_000,
    keepAliveTimeoutMs: 5_000,
    maxPublicConnections: 10_000,
    maxStreamsPerConnection: 1_000,
    maxConnectionsPerTunnel: 64,
    maxTunnelMessageBytes: MAX_TUNNEL_MESSAGE_BYTES,
    registerTimeoutMs: 10_000,
    tunnelPingIntervalMs: 15_000,
    tunnelPingTimeoutMs: 5_000,
    responseTimeoutMs: 100_000,
  }) satisfies RelayLimits,
})
