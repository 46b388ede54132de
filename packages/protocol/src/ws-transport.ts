import type { Socket } from 'node:net'
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
  // ws's own _write, which waits for the open and reports a send after close.
  const writeOne = duplex._write.bind(duplex)
  // Node's HTTP/2 session flushes the frames it has ready in one writev (a stream's HEADERS,
  // DATA and trailers together). Each goes out as its own message, as before, but with the
  // socket corked around them they leave in one system call instead of one each, and no
  // frame is copied to merge them.
  duplex._writev = (chunks, callback) => {
    const socket = socketOf(ws)
    const early = queuedWithin(ws, chunks.reduce((sum, { chunk }) => sum + chunk.length, 0))
    socket?.cork()
    const last = chunks.length - 1
    chunks.forEach(({ chunk }, index) => {
      const done = index === last && !early ? callback : ignoreWritten
      writeOne(chunk, 'buffer' as BufferEncoding, done)
    })
    socket?.uncork()
    if (early) callback()
  }
  duplex._write = (chunk: Buffer, encoding, callback) => {
    const early = queuedWithin(ws, chunk.length)
    writeOne(chunk, encoding, early ? ignoreWritten : callback)
    if (early) callback()
  }
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

/**
 * Bytes the transport takes before the socket has sent them. Node's HTTP/2 session reads
 * nothing while one of its writes is pending, so two sessions whose writes both wait on a
 * full socket would wait for each other for good (PINGs unanswered too). Completing writes
 * at once breaks that cycle; HTTP/2 flow control bounds the data frames queued this way,
 * and past this bound a write waits for the socket again.
 */
export const MAX_QUEUED_TRANSPORT_BYTES = 64 * 1024 * 1024

function queuedWithin(ws: WebSocket, bytes: number): boolean {
  return ws.readyState === ws.OPEN && ws.bufferedAmount + bytes <= MAX_QUEUED_TRANSPORT_BYTES
}

/**
 * The socket under an open WebSocket: ws keeps it in `_socket`, which its own
 * createWebSocketStream reads as well; undefined before the open and after the close.
 */
function socketOf(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket | null })._socket ?? undefined
}

/** A writev's first error reaches its callback through the last chunk's write. */
function ignoreWritten(): void {}
