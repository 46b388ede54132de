import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { startHandler, type HandlerHarness } from './support/handler-harness.js'
import { startMiniFront } from './support/mini-front.js'
import { listenHttp } from './support/streams.js'

let harness: HandlerHarness | undefined
const cleanups: Array<() => unknown> = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await harness?.close()
  harness = undefined
})

async function echoOrigin(): Promise<{ port: number; server: WebSocketServer }> {
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
  cleanups.push(() => new Promise((resolve) => server.close(resolve)))
  return { port: (server.address() as AddressInfo).port, server }
}

async function client(frontPort: number, protocols: string[] = []): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${frontPort}/socket`, protocols)
  cleanups.push(() => socket.terminate())
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
    cleanups.push(() => socket.terminate())
    const [, res] = (await once(socket, 'unexpected-response')) as [unknown, { statusCode: number }]

    expect(res.statusCode).toBe(426)
  })
})
