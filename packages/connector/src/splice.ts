import * as net from 'node:net'
import { ResetCode } from '@keyway/protocol'
import { LogField } from './log-fields.js'
import type { StreamContext } from './stream-context.js'

/** Once both directions have ended, the origin socket is closed within this time. */
const CLOSE_AFTER_BOTH_ENDED_MS = 1000

/**
 * Joins a stream and an origin socket byte for byte, both ways, with backpressure.
 *
 * Half-close is carried: the relay's end of input ends the socket's output (the origin
 * reads end of file and can still answer), and the origin's end ends the stream's output.
 * When both directions have ended the socket is closed. A reset of either side resets the
 * other: an origin `ECONNRESET` becomes a `connect` stream reset, and a stream reset
 * becomes a TCP RST to the origin.
 */
export function splice(ctx: StreamContext, socket: net.Socket): void {
  const { stream } = ctx
  const { data } = stream
  let relayEnded = false
  let originEnded = false
  let failed = false

  socket.allowHalfOpen = true
  socket.setNoDelay(true)
  socket.setTimeout(0)

  const closeWhenBothEnded = () => {
    if (!relayEnded || !originEnded) return
    const timer = setTimeout(() => socket.destroy(), CLOSE_AFTER_BOTH_ENDED_MS)
    timer.unref()
    socket.once('close', () => clearTimeout(timer))
  }

  // A reset also ends the readable side; only a clean end is a half-close to pass on.
  data.once('end', () => {
    if (stream.resetCode !== undefined) return
    relayEnded = true
    socket.end()
    closeWhenBothEnded()
  })
  socket.once('end', () => {
    originEnded = true
    closeWhenBothEnded()
  })
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (failed || ctx.closed) return
    failed = true
    const resetCode = err.code === 'ECONNRESET' ? ResetCode.connect : ResetCode.internal
    ctx.originError = err.code ?? 'error'
    ctx.log.info({ [LogField.err]: err, resetCode }, 'origin connection failed')
    stream.reset(resetCode)
  })
  socket.once('close', () => {
    if (failed || ctx.closed || (relayEnded && originEnded)) return
    failed = true
    stream.reset(ResetCode.cancel)
  })
  data.once('close', () => {
    if (stream.resetCode === undefined && relayEnded && originEnded) return
    if (!failed) ctx.log.info({ resetCode: stream.resetCode }, 'stream reset by the relay')
    failed = true
    resetSocket(socket)
  })

  data.pipe(socket, { end: false })
  socket.pipe(data)
  ctx.countIn(data)
  ctx.countOut(socket)
}

/** Sends a TCP RST where the socket type allows it, else closes it. */
export function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return
  try {
    socket.resetAndDestroy()
  } catch {
    // TLS sockets cannot send a bare RST.
    socket.destroy()
  }
}
