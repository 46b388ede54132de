import { createServer, type AddressInfo, type Socket } from 'node:net'

import { TestkitError, TestkitErrorCode } from './errors.js'

/**
 * How the TCP origin answers:
 * - `echo`: every byte straight back; ends its side once the client ended its own.
 * - `after-end`: nothing until the client ends its output, then all of it back, then ends.
 * - `sort`: like `after-end` with the input lines sorted, as the `sort` command does.
 */
export type TcpEchoMode = 'echo' | 'after-end' | 'sort'

/** Options of {@link startTcpEcho}. */
export interface TcpEchoOptions {
  /** Default 'echo'. */
  readonly mode?: TcpEchoMode
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Default 0: a free port. */
  readonly port?: number
  /** Input held per connection in the buffering modes before it is reset. Default 64 MiB. */
  readonly maxBufferedBytes?: number
}

/** One accepted connection. */
export interface TcpEchoConnection {
  /** Bytes received so far. */
  readonly bytesIn: number
  /** Settles when the client ended its output (half-close or full close). */
  readonly inputEnded: Promise<void>
  /** Settles when the socket is fully closed; `hadError` tells a reset from a clean close. */
  readonly closed: Promise<{ hadError: boolean }>
}

/** A running TCP origin. */
export interface TcpEcho {
  readonly port: number
  /** Connections in accept order. */
  readonly connections: readonly TcpEchoConnection[]
  /** Resolves with the `index`-th connection (0-based) once it was accepted. */
  waitForConnection(index?: number, timeoutMs?: number): Promise<TcpEchoConnection>
  /** Stops listening and destroys every connection. */
  close(): Promise<void>
}

/** Starts an in-process TCP origin on loopback that keeps half-closed connections open. */
export async function startTcpEcho(options: TcpEchoOptions = {}): Promise<TcpEcho> {
  const mode = options.mode ?? 'echo'
  const maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024
  const connections: TcpEchoConnection[] = []
  const sockets = new Set<Socket>()
  const onAccept = new Set<() => void>()

  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    const state = { bytesIn: 0 } as { bytesIn: number }
    const connection: TcpEchoConnection = {
      get bytesIn() {
        return state.bytesIn
      },
      inputEnded: new Promise((resolve) => {
        socket.once('end', () => resolve())
        socket.once('close', () => resolve())
      }),
      closed: new Promise((resolve) => {
        socket.once('close', (hadError) => {
          sockets.delete(socket)
          resolve({ hadError })
        })
      }),
    }
    socket.on('error', () => socket.destroy())
    socket.on('data', (chunk: Buffer) => {
      state.bytesIn += chunk.length
    })
    if (mode === 'echo') socket.pipe(socket)
    else answerAfterEnd(socket, mode, maxBufferedBytes)
    connections.push(connection)
    for (const listener of onAccept) listener()
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve)
  })

  return {
    port: (server.address() as AddressInfo).port,
    connections,
    waitForConnection: (index = 0, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = connections[index]
          if (found === undefined) return false
          clearTimeout(timer)
          onAccept.delete(check)
          resolve(found)
          return true
        }
        const timer = setTimeout(() => {
          onAccept.delete(check)
          const message = `tcp origin accepted no connection #${index} within ${timeoutMs} ms`
          reject(new TestkitError(TestkitErrorCode.timeout, message))
        }, timeoutMs)
        if (!check()) onAccept.add(check)
      }),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

function answerAfterEnd(socket: Socket, mode: 'after-end' | 'sort', maxBytes: number): void {
  const chunks: Buffer[] = []
  let held = 0
  socket.on('data', (chunk: Buffer) => {
    held += chunk.length
    if (held > maxBytes) {
      socket.resetAndDestroy()
      return
    }
    chunks.push(chunk)
  })
  socket.once('end', () => {
    const input = Buffer.concat(chunks)
    socket.end(mode === 'sort' ? sortLines(input) : input)
  })
}

function sortLines(input: Buffer): Buffer {
  const text = input.toString('utf8')
  const lines = text.split('\n')
  if (lines.at(-1) === '') lines.pop()
  if (lines.length === 0) return Buffer.alloc(0)
  return Buffer.from(lines.sort().join('\n') + '\n')
}
