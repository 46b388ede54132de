import * as net from 'node:net'
import type { Duplex } from 'node:stream'
import { ClientError, ClientErrorCode } from './errors.js'
import { spliceSocket } from './join-streams.js'

/** A local address to listen on. */
export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** Options of {@link tcpListener}. */
export interface TcpListenerOptions {
  /** `127.0.0.1:PORT`, `[::1]:PORT`, `localhost:PORT`, a bare `PORT` (127.0.0.1), or parts. */
  readonly listen: string | ListenAddress
  /** Opens the tunnel for one accepted connection (for example `() => connectApp(url)`). */
  readonly connect: () => Promise<Duplex>
  /** Told about a connection that could not be carried or was reset; it never throws. */
  readonly onError?: (err: unknown) => void
  /** Connections carried at once; more are refused with a TCP RST. Default 256. */
  readonly maxConnections?: number
}

/** A running local listener of `keyway access tcp`. */
export interface TcpListener {
  readonly address: ListenAddress
  /** Connections being carried now. */
  readonly activeConnections: number
  /** Stops listening and resets every connection still open. */
  close(): Promise<void>
}

/**
 * Listens locally and carries each accepted connection to the app over its own TCP
 * session, with half-close both ways and resets passed on. A connection whose tunnel
 * cannot be opened is reset, and the reason goes to `onError`.
 */
export async function tcpListener(options: TcpListenerOptions): Promise<TcpListener> {
  const address = parseListenAddress(options.listen)
  const maxConnections = options.maxConnections ?? 256
  const onError = options.onError ?? (() => {})
  const sockets = new Set<net.Socket>()

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => {
    socket.on('error', () => {})
    if (sockets.size >= maxConnections) {
      socket.resetAndDestroy()
      onError(new ClientError(ClientErrorCode.listen, `over ${maxConnections} connections`))
      return
    }
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    carry(socket, options.connect, onError)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${address.host}:${address.port}`
      const message = `cannot listen on ${where} (${err.code ?? err.message})`
      reject(new ClientError(ClientErrorCode.listen, message, { cause: err }))
    })
    server.listen(address.port, address.host, () => resolve())
  })
  const bound = server.address() as net.AddressInfo

  return {
    address: { host: address.host, port: bound.port },
    get activeConnections() {
      return sockets.size
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.resetAndDestroy()
      await closed
    },
  }
}

function carry(socket: net.Socket, connect: () => Promise<Duplex>, onError: (e: unknown) => void) {
  connect().then(
    (tunnel) => {
      if (socket.destroyed) {
        tunnel.destroy()
        return
      }
      spliceSocket(socket, tunnel).catch(onError)
    },
    (err: unknown) => {
      if (!socket.destroyed) socket.resetAndDestroy()
      onError(err)
    },
  )
}

/** Parses `--listen`; throws `TypeError` for a malformed address. */
export function parseListenAddress(listen: string | ListenAddress): ListenAddress {
  if (typeof listen !== 'string') return checkPort(listen.host, listen.port, String(listen.port))
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(listen.trim())
  if (match === null) {
    throw new TypeError(
      `'listen' must be HOST:PORT or PORT, for example 127.0.0.1:3389; got "${listen}"`,
    )
  }
  const host = (match[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1')
  return checkPort(host, Number(match[2]), match[2] ?? '')
}

function checkPort(host: string, port: number, text: string): ListenAddress {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`'listen' port must be from 0 to 65535; got "${text}"`)
  }
  return { host, port }
}
