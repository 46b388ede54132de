import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { startHandler, type HandlerHarness } from './support/handler-harness.js'
import { startMiniFront } from './support/mini-front.js'
import { listenHttp } from './support/streams.js'

let harness: HandlerHarness | undefined
const cleanups: Array<() => unknown> = []

// Last registered, first run: clients go before the fronts and origins they talk to.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await harness?.close()
  harness = undefined
})

interface EchoOrigin {
  port: number
  server: WebSocketServer
  /** Resolves with each WebSocket the origin accepts, in order. */
  nextConnection: () => Promise<WebSocket>
}

async function echoOrigin(): Promise<EchoOrigin> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false),
  })
  await once(server, 'listening')
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      if (!isBinary && data.toString() === 'bye') socket.close(4321, 'origin says bye')
      else socket.send(data, { binary: isBinary })
    })
  })
  // ws's close() waits for the connections it accepted; end them so cleanup cannot hang.
  cleanups.push(() => {
    for (const socket of server.clients) socket.terminate()
    return new Promise((resolve) => server.close(resolve))
  })
  return {
    port: (server.address() as AddressInfo).port,
    server,
    nextConnection: async () => ((await once(server, 'connection')) as [WebSocket])[0],
  }
}

/** Ends a client socket; aborting a refused handshake reports an error, expected here. */
function stopClient(socket: WebSocket): void {
  if (socket.readyState === WebSocket.CONNECTING) socket.once('error', () => {})
  socket.terminate()
}

async function client(frontPort: number, protocols: string[] = []): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${frontPort}/socket`, protocols)
  cleanups.push(() => stopClient(socket))
  await once(socket, 'open')
  return socket
}

function nextMessage(socket: WebSocket): Promise<{ data: RawData; isBinary: boolean }> {
  return new Promise((resolve) => {
    socket.once('message', (data, isBinary) => resolve({ data, isBinary }))
  })
}

describe('forwardUpgrade', () => {
  it('carries a WebSocket with its subprotocol, text and binary messages', async () => {
    const { port } = await echoOrigin()
    harness = await startHandler({ ingress: [{ service: `http://127.0.0.1:${port}` }] })
    const front = await startMiniFront(harness.pair.relay)
    cleanups.push(front.close)

    const socket = await client(front.port, ['chat.v2'])
    socket.send('hello')
    const text = await nextMessage(socket)
    socket.send(Buffer.from([0, 1, 2, 255]))
    const binary = await nextMessage(socket)

    expect(socket.protocol).toBe('chat.v2')
    expect(text.isBinary).toBe(false)
    expect(text.data.toString()).toBe('hello')
    expect(binary.isBinary).toBe(true)
    expect([...(binary.data as Buffer)]).toEqual([0, 1, 2, 255])
  })

  it('keeps the close code and reason the origin sends', async () => {
    const { port } = await echoOrigin()
    harness = await startHandler({ ingress: [{ service: `http://127.0.0.1:${port}` }] })
    const front = await startMiniFront(harness.pair.relay)
    cleanups.push(front.close)

    const socket = await client(front.port)
    const closing = once(socket, 'close') as Promise<[number, Buffer]>
    socket.send('bye')
    const [code, reason] = await closing

    expect(code).toBe(4321)
    expect(reason.toString()).toBe('origin says bye')
  })

  it('keeps the close code and reason the client sends', async () => {
    const origin = await echoOrigin()
    harness = await startHandler({ ingress: [{ service: `http://127.0.0.1:${origin.port}` }] })
    const front = await startMiniFront(harness.pair.relay)
    cleanups.push(front.close)
    const accepted = origin.nextConnection()

    const socket = await client(front.port)
    const originSide = await accepted
    const closing = once(originSide, 'close') as Promise<[number, Buffer]>
    socket.close(4100, 'client says bye')
    const [code, reason] = await closing

    expect(code).toBe(4100)
    expect(reason.toString()).toBe('client says bye')
  })

  it('closes the origin WebSocket when the client disappears', async () => {
    const origin = await echoOrigin()
    harness = await startHandler({ ingress: [{ service: `http://127.0.0.1:${origin.port}` }] })
    const front = await startMiniFront(harness.pair.relay)
    cleanups.push(front.close)
    const accepted = origin.nextConnection()

    const socket = await client(front.port)
    const originSide = await accepted
    const closing = once(originSide, 'close') as Promise<[number, Buffer]>
    socket.terminate()
    const [code] = await closing

    // No close frame ever came: the connector dropped the origin connection itself.
    expect(code).toBe(1006)
    expect(origin.server.clients.size).toBe(0)
  })

  it('carries a large binary message intact', async () => {
    const { port } = await echoOrigin()
    harness = await startHandler({ ingress: [{ service: `http://127.0.0.1:${port}` }] })
    const front = await startMiniFront(harness.pair.relay)
    cleanups.push(front.close)
    const payload = Buffer.alloc(8 * 1024 * 1024)
    for (let i = 0; i < payload.length; i += 4096) payload[i] = i % 251

    const socket = await client(front.port)
    socket.send(payload)
    const echoed = await nextMessage(socket)

    expect(Buffer.compare(echoed.data as Buffer, payload)).toBe(0)
  })

  it('relays an ordinary answer when the origin does not upgrade', async () => {
    const origin = await listenHttp((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('no websockets here')
    })
    cleanups.push(origin.close)
    harness = await startHandler({ ingress: [{ service: `http://127.0.0.1:${origin.port}` }] })
    const front = await startMiniFront(harness.pair.relay)
    cleanups.push(front.close)

    const socket = new WebSocket(`ws://127.0.0.1:${front.port}/socket`)
    cleanups.push(() => stopClient(socket))
    const answered = once(socket, 'unexpected-response')
    const [, res] = (await answered) as [unknown, { statusCode: number }]

    expect(res.statusCode).toBe(426)
  })
})
