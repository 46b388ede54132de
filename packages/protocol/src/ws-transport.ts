import type { Duplex } from 'node:stream'
import { createWebSocketStream, type WebSocket } from 'ws'

/** Largest WebSocket message accepted on the tunnel; HTTP/2 frames are far smaller. */
export const MAX_TUNNEL_MESSAGE_BYTES = 4 * 1024 * 1024

/**
 * Wraps an open tunnel WebSocket as a byte stream for the multiplexer. A reader that stops
 * pausing the duplex pauses the socket (ws does this), so backpressure reaches TCP.
 */
export function webSocketTransport(ws: WebSocket): Duplex {
  ws.binaryType = 'nodebuffer'
  const duplex = createWebSocketStream(ws, { allowHalfOpen: false })
  // The session reports transport failures through its own 'close'; do not crash here.
  duplex.on('error', () => {})
  // ws only ends the readable side when the socket goes away without a close handshake,
  // and a pending _final then never completes, so the duplex would never close and the
  // session would keep its streams open until a ping timed out. After the end of input
  // has been delivered, the transport is torn down for good.
  ws.once('close', () => {
    setImmediate(() => duplex.destroy())
  })
  return duplex
}
