import type { OpenOptions, OutgoingStream, StreamHead } from '@keyway/protocol'
import { RelayAnswerCode } from './errors.js'
import { isLive, type TunnelLink, type TunnelRegistry } from './tunnel-registry.js'

/** A stream opened on one of a tunnel's connections. */
export interface OpenedStream {
  readonly ok: true
  readonly stream: OutgoingStream
  readonly link: TunnelLink
}

/** Why no stream could be opened: the status and code to answer with. */
export interface NoStream {
  readonly ok: false
  readonly status: number
  readonly code: RelayAnswerCode
  readonly message: string
}

/** Tries this many connections when one turns out to be draining as the stream opens. */
const maxAttempts = 3

/**
 * Opens a stream on a live connection of `tunnel`. A connection that started draining
 * between the pick and the open is skipped for the next one. 503 when the tunnel has no
 * connection (or none that is not draining), or when all are at their stream limit.
 */
export function openTunnelStream(
  registry: TunnelRegistry,
  tunnel: string,
  head: StreamHead,
  options: OpenOptions,
): OpenedStream | NoStream {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const link = registry.pick(tunnel)
    if (link === undefined) break
    try {
      return { ok: true, stream: link.mux.open(head, options), link }
    } catch {
      // Draining or closed since it was picked: try another connection.
    }
  }
  const live = registry.list(tunnel).filter(isLive)
  if (live.length > 0) {
    return {
      ok: false,
      status: 503,
      code: RelayAnswerCode.tunnelBusy,
      message: `every connection of tunnel "${tunnel}" is at its stream limit; retry shortly`,
    }
  }
  return {
    ok: false,
    status: 503,
    code: RelayAnswerCode.tunnelUnavailable,
    message: `tunnel "${tunnel}" has no connected connector; start "keyway tunnel run" for it`,
  }
}
