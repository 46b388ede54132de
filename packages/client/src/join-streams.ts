import type * as net from 'node:net'
import type { Duplex, Readable, Writable } from 'node:stream'

/**
 * Carries bytes between a local reader/writer pair and a tunnel, both ways, with
 * half-close: the local input's end ends the tunnel's output, and the tunnel's end ends
 * the local output (unless `endOutput` is false, as for `process.stdout`). Resolves when
 * both directions ended cleanly; rejects with the tunnel's error on a reset.
 */
export function joinStreams(
  input: Readable,
  output: Writable,
  tunnel: Duplex,
  options: { endOutput?: boolean } = {},
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let inputEnded = false
    let tunnelEnded = false
    const done = () => {
      if (inputEnded && tunnelEnded) resolve()
    }
    tunnel.once('error', (err) => {
      input.unpipe(tunnel)
      input.pause()
      reject(err)
    })
    tunnel.once('finish', () => {
      inputEnded = true
      done()
    })
    tunnel.once('end', () => {
      tunnelEnded = true
      done()
    })
    input.pipe(tunnel)
    tunnel.pipe(output, { end: options.endOutput ?? true })
  })
}

/**
 * Joins an accepted local socket and its tunnel. A reset on either side resets the other:
 * a tunnel error sends a TCP RST to the local client, and a local error or early close
 * resets the tunnel session.
 */
export function spliceSocket(socket: net.Socket, tunnel: Duplex): Promise<void> {
  socket.setNoDelay(true)
  let localError: Error | undefined
  socket.on('error', (err) => {
    localError = err
    tunnel.destroy(err)
  })
  socket.once('close', () => {
    if (!(tunnel.writableFinished && tunnel.readableEnded)) tunnel.destroy()
  })
  const joined = joinStreams(socket, socket, tunnel)
  joined.catch(() => {
    if (!socket.destroyed) socket.resetAndDestroy()
  })
  // The local client's own reset or disappearance (ECONNRESET, EPIPE) is not a failure of
  // the tunnel: the session is reset and nothing is reported.
  return joined.catch((err: unknown) => {
    if (err !== localError) throw err
  })
}
