import { createServer, type RequestListener, type Server } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'

import { WebSocketServer, type WebSocket } from 'ws'

import { TestkitError, TestkitErrorCode } from './errors.js'
import { handleOriginRoute, headerPairs } from './http-origin-routes.js'

/** How a request the origin received ended. */
export type RequestOutcome = 'complete' | 'aborted' | 'upgraded'

/** One request as the origin saw it. */
export interface OriginRequestRecord {
  readonly method: string
  readonly url: string
  /** Header lines exactly as received: names in their case, repeated names repeated. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  /** Settles when the response finished, the connection closed first, or it was upgraded. */
  readonly outcome: Promise<RequestOutcome>
}

/** Options of {@link startHttpOrigin}. */
export interface HttpOriginOptions {
  /** Replaces the built-in routes (echo, `/bytes/N`, `/sse`, ...). */
  readonly handler?: RequestListener
  /** Echo WebSocket upgrades on the same server. Default true. */
  readonly websocket?: boolean
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Default 0: a free port. */
  readonly port?: number
  /** Listen on this Unix socket path instead of TCP. */
  readonly socketPath?: string
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer }
  /** Requests kept in {@link HttpOrigin.requests}. Default 1,000. */
  readonly maxRecordedRequests?: number
  /** Largest WebSocket message accepted. Default 64 MiB. */
  readonly maxWebSocketMessageBytes?: number
}

/** A running HTTP origin. */
export interface HttpOrigin {
  /** The TCP port, or 0 on a Unix socket. */
  readonly port: number
  /** `http://127.0.0.1:PORT` (or `https://`), or `unix:PATH`. */
  readonly url: string
  readonly server: Server
  /** The most recent requests, oldest first. */
  readonly requests: readonly OriginRequestRecord[]
  /** Resolves with the first request (already seen or coming) that `predicate` accepts. */
  waitForRequest(
    predicate: (record: OriginRequestRecord) => boolean,
    timeoutMs?: number,
  ): Promise<OriginRequestRecord>
  /** Closes the listener, every connection and every WebSocket. */
  close(): Promise<void>
}

/**
 * Starts an in-process HTTP origin on loopback: by default the echo origin with the routes of
 * `handleOriginRoute`, and a WebSocket echo on the same server. A text message
 * `close CODE [REASON]` makes the WebSocket side close with that code.
 */
export async function startHttpOrigin(
  handlerOrOptions: RequestListener | HttpOriginOptions = {},
): Promise<HttpOrigin> {
  const options =
    typeof handlerOrOptions === 'function' ? { handler: handlerOrOptions } : handlerOrOptions
  const handler = options.handler ?? handleOriginRoute
  const maxRecorded = options.maxRecordedRequests ?? 1_000
  const requests: OriginRequestRecord[] = []
  const waiters = new Set<(record: OriginRequestRecord) => void>()
  const record = (entry: OriginRequestRecord): void => {
    requests.push(entry)
    if (requests.length > maxRecorded) requests.shift()
    for (const waiter of waiters) waiter(entry)
  }

  const listener: RequestListener = (req, res) => {
    record({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: headerPairs(req.rawHeaders),
      outcome: new Promise((resolve) => {
        res.once('finish', () => resolve('complete'))
        res.once('close', () => resolve(res.writableFinished ? 'complete' : 'aborted'))
      }),
    })
    handler(req, res)
  }
  const server: Server = options.tls
    ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : createServer(listener)
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  let wss: WebSocketServer | undefined
  if (options.websocket ?? true) {
    wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxWebSocketMessageBytes ?? 64 * 1024 * 1024,
      handleProtocols: (protocols) => protocols.values().next().value ?? false,
    })
    const upgrades = wss
    server.on('upgrade', (req, socket, head) => {
      record({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: headerPairs(req.rawHeaders),
        outcome: Promise.resolve('upgraded'),
      })
      upgrades.handleUpgrade(req, socket, head, (ws) => echoWebSocket(ws))
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    if (options.socketPath) server.listen(options.socketPath, resolve)
    else server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve)
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? (address as AddressInfo).port : 0
  const scheme = options.tls ? 'https' : 'http'
  const url = options.socketPath
    ? `unix:${options.socketPath}`
    : `${scheme}://${options.host ?? '127.0.0.1'}:${port}`

  return {
    port,
    url,
    server,
    requests,
    waitForRequest: (predicate, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const seen = requests.find(predicate)
        if (seen) return resolve(seen)
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          const urls = requests.map((entry) => `${entry.method} ${entry.url}`).slice(-20)
          const message = `origin got no matching request within ${timeoutMs} ms; got: `
          reject(new TestkitError(TestkitErrorCode.timeout, message + JSON.stringify(urls)))
        }, timeoutMs)
        const waiter = (entry: OriginRequestRecord): void => {
          if (!predicate(entry)) return
          clearTimeout(timer)
          waiters.delete(waiter)
          resolve(entry)
        }
        waiters.add(waiter)
      }),
    close: async () => {
      for (const client of wss?.clients ?? []) client.terminate()
      wss?.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

function echoWebSocket(ws: WebSocket): void {
  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const command = /^close (\d{4})(?: (.*))?$/s.exec(data.toString())
      const code = Number(command?.[1])
      // Only codes an endpoint may send; the reason must fit a control frame.
      if (command && (code === 1000 || (code >= 3000 && code <= 4999))) {
        return ws.close(code, Buffer.from(command[2] ?? '').subarray(0, 123).toString())
      }
    }
    ws.send(data, { binary: isBinary })
  })
  ws.on('error', () => ws.terminate())
}
