/**
 * The Keyway tunnel vocabulary, top to bottom.
 *
 * A connector dials the relay's tunnel endpoint with a WebSocket (binary messages, no
 * compression) and serves HTTP/2 on it; the relay is the HTTP/2 client. Every public
 * request, WebSocket upgrade or TCP session is one HTTP/2 stream. The stream's first
 * header block carries a {@link StreamHead} in the `keyway-meta` header; the answer's
 * header block carries a {@link ReplyHead}. See docs/protocol.md.
 */

/** Bumped when a change is not understood by the previous release. */
export const PROTOCOL_VERSION = 1

/** Path of the relay's tunnel endpoint (the WebSocket the connector dials). */
export const TUNNEL_PATH = '/_keyway/tunnel'

/** WebSocket subprotocol that names this wire format. */
export const TUNNEL_SUBPROTOCOL = 'keyway-tunnel.v1'

/** Headers on the connector's WebSocket upgrade request. */
export const DialHeader = {
  authorization: 'authorization',
  connectorId: 'keyway-connector-id',
  connIndex: 'keyway-conn-index',
  protocolVersion: 'keyway-protocol-version',
  version: 'keyway-version',
} as const

/** Header on the relay's refusal of a dial that explains it in one code. */
export const DIAL_ERROR_HEADER = 'keyway-error'

/** HTTP/2 header (on streams of the tunnel) that carries the base64url JSON metadata. */
export const META_HEADER = 'keyway-meta'

/** HTTP/2 trailer that carries the original request or response trailers. */
export const TRAILERS_HEADER = 'keyway-trailers'

/** What one stream carries. */
export const StreamKind = {
  /** One HTTP request and its response. */
  http: 'http',
  /** An HTTP request with `Upgrade` (WebSocket); after a 101 the stream carries raw bytes. */
  upgrade: 'upgrade',
  /** A raw TCP session (SSH, RDP, any TCP service). */
  tcp: 'tcp',
  /** Relay-to-connector control: registration. */
  register: 'register',
} as const
export type StreamKind = (typeof StreamKind)[keyof typeof StreamKind]

/** Header lines exactly as received: names as sent, repeated lines kept, order kept. */
export type HeaderList = Array<[name: string, value: string]>

/** Sent by the relay with a new stream. */
export interface StreamHead {
  kind: StreamKind
  /** Request id, also in relay and connector logs. */
  reqId: string
  /** Canonical host (lower case, no port, no trailing dot). */
  host: string
  /** Request method (`GET` ...) for `http` and `upgrade`. */
  method?: string
  /** Path and query, as forwarded. */
  target?: string
  headers?: HeaderList
  /** True when request body bytes (or TCP bytes) follow; never guessed from headers. */
  hasBody?: boolean
  /** Whether the request may carry trailers (it is chunked); they arrive as HTTP/2 trailers. */
  mayHaveTrailers?: boolean
  /** Public client address and scheme, for `X-Forwarded-*`. */
  clientIp?: string
  proto?: 'http' | 'https'
  /** Registration only. */
  tunnel?: string
  connectionId?: string
  relayId?: string
}

/** Sent by the connector as the answer's header block. */
export interface ReplyHead {
  /** The HTTP status to give the public client (101 for an accepted upgrade). */
  status: number
  statusMessage?: string
  headers?: HeaderList
  /** True when response body bytes follow. */
  hasBody: boolean
  /** True when HTTP trailers may follow the body. */
  mayHaveTrailers?: boolean
  /** Set when the connector itself produced the answer because the origin failed. */
  error?: { code: OriginErrorCode; message: string }
  /** Registration only. */
  connectorId?: string
}

/** Informational answers (100 Continue, 103 Early Hints) before the final one. */
export interface InfoHead {
  status: number
  headers?: HeaderList
}

/** Why the connector could not reach the origin; the relay logs it, the body names it. */
export const OriginErrorCode = {
  refused: 'ERR_ORIGIN_REFUSED',
  timeout: 'ERR_ORIGIN_TIMEOUT',
  unreachable: 'ERR_ORIGIN_UNREACHABLE',
  tls: 'ERR_ORIGIN_TLS',
  protocol: 'ERR_ORIGIN_PROTOCOL',
  noRule: 'ERR_NO_INGRESS_RULE',
  badRequest: 'ERR_BAD_STREAM_HEAD',
} as const
export type OriginErrorCode = (typeof OriginErrorCode)[keyof typeof OriginErrorCode]

/** Reset codes, as HTTP/2 RST_STREAM error codes (RFC 9113 section 7). */
export const ResetCode = {
  /** Clean close before the end, without error. */
  noError: 0x0,
  /** Malformed stream head or frame. */
  protocol: 0x1,
  /** The origin (or the public client) failed mid-stream. */
  internal: 0x2,
  /** The connector is draining or at its stream limit: retry elsewhere. */
  refused: 0x7,
  /** The other end went away (client disconnected, origin reset). */
  cancel: 0x8,
  /** The origin's TCP connection was reset. */
  connect: 0xa,
} as const
export type ResetCode = (typeof ResetCode)[keyof typeof ResetCode]

/** Close codes for the tunnel WebSocket. */
export const TunnelCloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  tooBig: 1009,
  revoked: 4001,
} as const

/**
 * TCP over WebSocket, between the access client and the relay's public front (not the
 * tunnel). The client upgrades on the app's hostname with this subprotocol; after the 101,
 * binary messages carry the TCP bytes in order, and the text message {@link TCP_EOF_MESSAGE}
 * means the sender has no more bytes (half-close). See docs/protocol.md.
 */
export const TCP_SUBPROTOCOL = 'keyway-tcp.v1'

/** The one text message of a TCP session: the sender's end of output. */
export const TCP_EOF_MESSAGE = 'eof'

/**
 * Close codes of a TCP session WebSocket. `normal` only once both sides sent their end of
 * output; any other close ends the session as a reset. `resetBase + N` tells the client
 * that the tunnel stream was reset with HTTP/2 error code N (see `ResetCode`).
 */
export const TcpCloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  tooBig: 1009,
  internal: 1011,
  resetBase: 4000,
  idleTimeout: 4100,
  maxDuration: 4101,
} as const
