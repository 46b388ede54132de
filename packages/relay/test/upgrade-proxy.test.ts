import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { loopbackLookup } from '@keyway/testkit'
import { waitFor } from './support/client.js'
import { startTunnel, type TunnelHarness } from './support/tunnel-harness.js'

describe('forwardUpgrade', () => {
  let h: TunnelHarness
  let port: number

  beforeAll(async () => {
    h = await startTunnel()
    port = h.relay.publicAddress.port
  })
  afterAll(async () => {
    await h?.close()
  })

  const connect = (host: string, protocols: string[] = []) =>
    new WebSocket(`ws://${host}:${port}/chat`, protocols, {
      lookup: loopbackLookup,
      perMessageDeflate: false,
    })

  it('negotiates the subprotocol and echoes text and binary messages', async () => {
    const ws = connect('app.test', ['chat.v2', 'chat.v1'])
    await once(ws, 'open')

    ws.send('hello')
    const [text, textIsBinary] = (await once(ws, 'message')) as [Buffer, boolean]
    const binary = Buffer.from([0, 1, 2, 255, 254])
    ws.send(binary)
    const [echoed, echoedIsBinary] = (await once(ws, 'message')) as [Buffer, boolean]
    ws.close(1000)
    await once(ws, 'close')

    expect(ws.protocol).toBe('chat.v2')
    expect(text.toString()).toBe('hello')
    expect(textIsBinary).toBe(false)
    expect(Buffer.compare(echoed, binary)).toBe(0)
    expect(echoedIsBinary).toBe(true)
  })

  it('keeps the close code and reason the origin sends', async () => {
    const ws = connect('app.test')
    await once(ws, 'open')

    ws.send('close 4321 done here')
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer]

    expect(code).toBe(4321)
    expect(reason.toString()).toBe('done here')
  })

  it('logs the upgrade once it closed, with status 101 and the bytes carried', async () => {
    const ws = new WebSocket(`ws://app.test:${port}/logged-ws`, { lookup: loopbackLookup })
    await once(ws, 'open')
    ws.send('ping')
    await once(ws, 'message')
    ws.close(1000)
    await once(ws, 'close')
    const line = () => h.relayLog.find('request').find((entry) => entry.path === '/logged-ws')
    await waitFor(() => line() !== undefined)

    expect(line()).toMatchObject({ kind: 'upgrade', status: 101, level: 30, tunnelId: 'app' })
    expect(line()?.bytesIn).toBeGreaterThan(0)
    expect(line()?.bytesOut).toBeGreaterThan(0)
  })

  it('carries a large message intact both ways', async () => {
    const ws = connect('app.test')
    await once(ws, 'open')
    const payload = Buffer.alloc(3 * 1024 * 1024, 7)

    ws.send(payload)
    const [echoed] = (await once(ws, 'message')) as [Buffer]
    ws.terminate()

    expect(echoed.length).toBe(payload.length)
    expect(Buffer.compare(echoed, payload)).toBe(0)
  })

  it('refuses an upgrade for an unknown host with 404', async () => {
    const ws = connect('nowhere.test')
    ws.on('error', () => {})
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage]
    res.resume()

    expect(res.statusCode).toBe(404)
    expect(res.headers['keyway-error']).toBe('ERR_UNKNOWN_HOST')
  })

  it('refuses an upgrade for a tunnel without connector with 503', async () => {
    const ws = connect('idle.test')
    ws.on('error', () => {})
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage]
    res.resume()

    expect(res.statusCode).toBe(503)
    expect(res.headers['keyway-error']).toBe('ERR_TUNNEL_UNAVAILABLE')
  })
})
