import { StreamKind } from '@keyway/protocol'
import { openTunnelStream, type NoStream, type OpenedStream } from './open-stream.js'
import type { TunnelRegistry } from './tunnel-registry.js'

/** What a TCP session through a tunnel is for. */
export interface TcpStreamRequest {
  readonly tunnel: string
  /** Canonical public hostname of the TCP application (the connector's ingress matches it). */
  readonly host: string
  readonly reqId: string
  readonly clientIp: string
}

/**
 * Opens a `tcp` stream: the connector dials the TCP origin its ingress names for `host`
 * and answers 200 once connected (502 with an error when it cannot), then the stream's
 * data carries raw bytes both ways with half-close. The caller splices it to the client's
 * bytes (a WebSocket of `keyway access`); bytes sent before the answer wait in the stream
 * window.
 */
export function openTcpStream(
  registry: TunnelRegistry,
  request: TcpStreamRequest,
): OpenedStream | NoStream {
  return openTunnelStream(
    registry,
    request.tunnel,
    {
      kind: StreamKind.tcp,
      reqId: request.reqId,
      host: request.host,
      clientIp: request.clientIp,
      hasBody: true,
    },
    { hasBody: true },
  )
}
