import type { IncomingMessage, ServerResponse } from 'node:http'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { handleOriginRoute, loopbackLookup, request, stopAll } from '@keyway/testkit'

import { openRequest, readBody, responseOf } from './support/clients.js'
import { jsonLines, waitForLog } from './support/keyway-process.js'
import { startTunnelFixture, type TunnelFixture } from './support/tunnel-fixture.js'

let fx: TunnelFixture
/** When the origin saw each `/slow` request's connection close, by request id. */
const originClosedAt = new Map<string, number>()

/** The echo origin's routes, plus `/slow?id=N`: writes a little, then never ends. */
function originHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://origin.invalid')
  if (url.pathname === '/slow') {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('started\n')
    res.once('close', () => originClosedAt.set(url.searchParams.get('id') ?? '', Date.now()))
    return
  }
  if (url.pathname === '/cut') {
    req.resume()
    res.writeHead(200, { 'content-length': '100000' })
    res.write(Buffer.alloc(1000, 0x61), () => setTimeout(() => res.socket?.destroy(), 50))
    return
  }
  if (url.pathname === '/big-header') {
    req.resume()
    return void res.end(`x-big: ${String(req.headers['x-big']?.length ?? 0)}`)
  }
  handleOriginRoute(req, res)
}

function url(path: string, host = 'web.localhost'): string {
  return fx.relay.url(host, path)
}

function relayLines(host: string): Array<Record<string, unknown>> {
  return jsonLines(fx.relay.handle)
    .filter((line) => line['msg'] === 'request' && line['host'] === host)
}

beforeAll(async () => {
  fx = await startTunnelFixture({
    tunnels: [
      { name: 'web', hostnames: ['web.localhost', 'down.localhost'] },
      { name: 'idle', hostnames: ['idle.localhost'] },
    ],
    handler: originHandler,
    rules: () => [
      // Port 9 on loopback: nothing listens there, so the connection is refused.
      { hostname: 'down.localhost', service: 'http://127.0.0.1:9' },
    ],
  })
})

afterAll(async () => {
  await stopAll()
  await fx?.origin.close()
  await fx?.dir.remove()
})

describe('answers a client can tell apart, each logged by the relay', () => {
  it('answers 404 for a hostname no tunnel serves', async () => {
    const answer = await request(url('/', 'nobody.localhost'))

    expect(answer.status).toBe(404)
    const line = await waitForLog(fx.relay.handle, 'request', {
      fields: { host: 'nobody.localhost' },
    })
    expect(line).toMatchObject({ status: 404, method: 'GET', path: '/' })
  })

  it('answers 503 saying that no connector is connected for a tunnel without one', async () => {
    const answer = await request(url('/x', 'idle.localhost'))

    expect(answer.status).toBe(503)
    expect(answer.text()).toMatch(/tunnel "idle" has no connect/)
    const line = await waitForLog(fx.relay.handle, 'request', {
      fields: { host: 'idle.localhost' },
    })
    expect(line).toMatchObject({ status: 503, tunnelId: 'idle' })
  })

  it('answers 502 naming the cause when the origin refuses the connection', async () => {
    const answer = await request(url('/y', 'down.localhost'))

    expect(answer.status).toBe(502)
    expect(answer.text()).toMatch(/refused/i)
    const line = await waitForLog(fx.relay.handle, 'request', {
      fields: { host: 'down.localhost' },
    })
    expect(line).toMatchObject({ status: 502, tunnelId: 'web' })
  })

  it('answers 431 to a header block over the limit, and the next request still passes',
    async () => {
      const tooBig = await request(url('/big-header'), { headers: { 'x-big': 'a'.repeat(80_000) } })
      const fine = await request(url('/big-header'), { headers: { 'x-big': 'a'.repeat(1_000) } })

      expect(tooBig.status).toBe(431)
      expect(fine.status).toBe(200)
      expect(fine.text()).toBe('x-big: 1000')
    })

  it('writes one line per request with host, method, path, status, bytes and duration',
    async () => {
      const answer = await request(url('/bytes/5000'), { method: 'GET' })
      expect(answer.status).toBe(200)

      const line = await waitForLog(fx.relay.handle, 'request', {
        fields: { host: 'web.localhost', path: '/bytes/5000' },
      })
      expect(line).toMatchObject({ method: 'GET', status: 200, bytesOut: 5000, tunnelId: 'web' })
      expect(typeof line['durationMs']).toBe('number')
      expect(typeof line['connectionId']).toBe('string')
      expect(line['connectorId']).toBe(await fx.connector.connectorId())
      expect(relayLines('web.localhost').filter((l) => l['path'] === '/bytes/5000')).toHaveLength(1)
    })
})

describe('cancellation', () => {
  it('aborts the origin request within a second of the client leaving', async () => {
    const req = openRequest(url('/slow?id=left'))
    req.end()
    const res = await responseOf(req)
    await new Promise<void>((resolve) => res.once('data', () => resolve()))

    const leftAt = Date.now()
    req.destroy()
    const deadline = Date.now() + 5_000
    while (!originClosedAt.has('left') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }

    expect(originClosedAt.get('left')).toBeDefined()
    expect((originClosedAt.get('left') ?? Infinity) - leftAt).toBeLessThan(1_000)
  })

  it('shows an origin that resets mid-answer as an aborted response, never a whole one',
    async () => {
      const req = openRequest(url('/cut'))
      req.end()
      const res = await responseOf(req)
      const body = await readBody(res)

      expect(res.statusCode).toBe(200)
      expect(body.ended).toBe('aborted')
      expect(body.bytes).toBeLessThan(100_000)
    })
})

describe('WebSocket upgrades', () => {
  function openSocket(protocols: string[]): Promise<WebSocket> {
    const ws = new WebSocket(url('/socket').replace('http:', 'ws:'), protocols, {
      lookup: loopbackLookup,
      perMessageDeflate: false,
    })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws))
      ws.once('error', reject)
    })
  }

  it('negotiates the subprotocol and carries text and binary messages both ways', async () => {
    const ws = await openSocket(['chat.v2', 'chat.v1'])
    const received: Array<[string, boolean]> = []
    const twoBack = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer, isBinary) => {
        received.push([isBinary ? data.toString('hex') : data.toString(), isBinary])
        if (received.length === 2) resolve()
      })
    })

    ws.send('hello over the tunnel')
    ws.send(Buffer.from([0, 1, 2, 254, 255]))
    await twoBack
    ws.close()

    expect(ws.protocol).toBe('chat.v2')
    expect(received).toEqual([
      ['hello over the tunnel', false],
      ['000102feff', true],
    ])
  })

  it('keeps the close code and reason the origin sends', async () => {
    const ws = await openSocket([])
    const closed = new Promise<[number, string]>((resolve) => {
      ws.once('close', (code, reason) => resolve([code, reason.toString()]))
    })

    ws.send('close 4321 origin says bye')

    expect(await closed).toEqual([4321, 'origin says bye'])
  })
})
