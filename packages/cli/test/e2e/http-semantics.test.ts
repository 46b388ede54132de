import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect } from 'node:net'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  handleOriginRoute,
  patternSha256,
  request,
  stopAll,
  type EchoReply,
} from '@keyway/testkit'

import { openRequest, rawExchange, readBody, responseOf } from './support/clients.js'
import { startTunnelFixture, type TunnelFixture } from './support/tunnel-fixture.js'

const MiB = 1024 * 1024
let fx: TunnelFixture
let releaseSse: () => void = () => undefined

/** The echo origin's routes, plus a few that set hop-by-hop and repeated headers. */
function originHandler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/hop') {
    req.resume()
    res.writeHead(200, [
      ['Connection', 'X-Origin-Hop, close'],
      ['X-Origin-Hop', 'must not pass'],
      ['Keep-Alive', 'timeout=9'],
      ['X-Kept', 'passes'],
      ['Content-Length', '2'],
    ])
    return void res.end('ok')
  }
  if (req.url === '/cookies') {
    req.resume()
    res.setHeader('Set-Cookie', [
      'a=1; Path=/',
      'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly',
      'c=3',
    ])
    return void res.end('cookies')
  }
  if (req.url === '/early-413') {
    // Answers before reading the body, as an origin refusing an upload does.
    res.writeHead(413, { 'content-length': '9' })
    return void res.end('too large')
  }
  if (req.url === '/sse-step') {
    req.resume()
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
    res.write('data: first\n\n')
    releaseSse = () => res.end('data: second\n\n')
    return
  }
  handleOriginRoute(req, res)
}

function url(path: string, host = 'web.localhost'): string {
  return fx.relay.url(host, path)
}

/** Waits until the connector carries no stream (its active-streams gauge reads 0). */
async function expectNoStreamLeft(timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let active = Number.NaN
  while (Date.now() < deadline) {
    const text = await (await fetch(`${fx.connector.metricsUrl}/metrics`)).text()
    active = Number(/^keyway_connector_active_streams (\d+)$/m.exec(text)?.[1])
    if (active === 0) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  expect(active).toBe(0)
}

function echoHeader(reply: EchoReply, name: string): string[] {
  return reply.headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value)
}

beforeAll(async () => {
  fx = await startTunnelFixture({
    tunnels: [{ name: 'web', hostnames: ['web.localhost', 'override.localhost'] }],
    handler: originHandler,
    rules: (origin) => [
      {
        hostname: 'override.localhost',
        service: origin.url,
        originRequest: { httpHostHeader: 'internal.example' },
      },
    ],
  })
})

afterAll(async () => {
  await stopAll()
  await fx?.origin.close()
  await fx?.dir.remove()
})

describe('HTTP through keyway relay and keyway tunnel run', () => {
  it('carries each method, the request target and the origin status code', async () => {
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']
    const replies = await Promise.all(
      methods.map((method) => request(url(`/echo/${method}?q=1&status=207`), { method })),
    )

    for (const [index, response] of replies.entries()) {
      const reply = response.json<EchoReply>()
      expect(response.status).toBe(207)
      expect(reply.method).toBe(methods[index])
      expect(reply.url).toBe(`/echo/${methods[index]}?q=1&status=207`)
    }
    const statuses = await Promise.all(
      [201, 301, 404, 418, 500, 503].map((status) => request(url(`/status/${status}`))),
    )
    expect(statuses.map((response) => response.status)).toEqual([201, 301, 404, 418, 500, 503])
    expect(statuses.map((response) => response.text())[5]).toBe('status 503\n')
    // An origin's own 503 is not mistaken for the relay's.
    expect(statuses[5]?.headers['keyway-error']).toBeUndefined()
  })

  it('uploads 8 MiB intact, fixed-length and chunked', async () => {
    const body = randomBytes(8 * MiB)
    const sha256 = createHash('sha256').update(body).digest('hex')

    const fixedReq = openRequest(url('/upload'), {
      method: 'POST',
      headers: { 'content-length': String(body.length) },
    })
    fixedReq.end(body)
    const fixed = await readBody(await responseOf(fixedReq))
    const chunkedReq = openRequest(url('/upload-chunked'), { method: 'PUT' })
    for (let offset = 0; offset < body.length; offset += MiB) {
      chunkedReq.write(body.subarray(offset, offset + MiB))
    }
    chunkedReq.end()
    const chunked = await readBody(await responseOf(chunkedReq))

    const fixedReply = JSON.parse(fixed.text) as EchoReply
    const chunkedReply = JSON.parse(chunked.text) as EchoReply
    expect([fixedReply.bodyBytes, fixedReply.bodySha256]).toEqual([body.length, sha256])
    expect(echoHeader(fixedReply, 'content-length')).toEqual([String(body.length)])
    expect([chunkedReply.bodyBytes, chunkedReply.bodySha256]).toEqual([body.length, sha256])
    expect(echoHeader(chunkedReply, 'transfer-encoding')).toEqual(['chunked'])
  })

  it('lets a client finish an upload the origin answered early, and reuse it', async () => {
    const size = 8 * MiB
    const startedAt = Date.now()
    const socket = connect(fx.relay.publicPort, '127.0.0.1')
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    const closed = new Promise<string | undefined>((resolve) => {
      socket.once('error', (err) => resolve(err.message))
      socket.once('close', () => resolve(undefined))
    })
    socket.write(`POST /early-413 HTTP/1.1\r\nHost: web.localhost\r\n` +
      `Content-Length: ${size}\r\n\r\n`)
    const chunk = Buffer.alloc(MiB, 7)
    for (let sent = 0; sent < size; sent += MiB) {
      if (!socket.write(chunk)) await once(socket, 'drain')
    }
    socket.write('GET /echo/after HTTP/1.1\r\nHost: web.localhost\r\nConnection: close\r\n\r\n')
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 15 s')), 15_000)
    const error = await closed
    clearTimeout(timer)
    // Not held up until the origin's keep-alive timeout (5 s) drops its connection.
    expect(Date.now() - startedAt).toBeLessThan(4_000)

    const text = Buffer.concat(received).toString('latin1')
    expect(error).toBeUndefined()
    expect(text).toMatch(/^HTTP\/1\.1 413 /)
    expect(text).toContain('too large')
    expect(text).toMatch(/HTTP\/1\.1 200 [^]*"url":"\/echo\/after"/)
    await expectNoStreamLeft()
  })

  it('frees the tunnel stream of an upload whose client left after an early answer', async () => {
    for (let round = 0; round < 3; round++) {
      const socket = connect(fx.relay.publicPort, '127.0.0.1')
      socket.on('error', () => undefined)
      socket.write(`POST /early-413 HTTP/1.1\r\nHost: web.localhost\r\n` +
        `Content-Length: ${64 * MiB}\r\n\r\n`)
      socket.write(Buffer.alloc(MiB, 7))
      await once(socket, 'data')
      socket.destroy()
    }

    await expectNoStreamLeft()
  })

  it('downloads 8 MiB intact, fixed-length and chunked with a trailer', async () => {
    const size = 8 * MiB
    const fixedRes = await responseOf(openRequest(url(`/bytes/${size}`)).end())
    const fixed = await readBody(fixedRes)
    const chunkedRes = await responseOf(openRequest(url(`/bytes/${size}?chunked=1&random=1`)).end())
    const chunked = await readBody(chunkedRes)

    expect(fixedRes.headers['content-length']).toBe(String(size))
    expect([fixed.ended, fixed.bytes, fixed.sha256]).toEqual(['end', size, patternSha256(size)])
    expect(chunkedRes.headers['transfer-encoding']).toBe('chunked')
    expect([chunked.ended, chunked.bytes]).toEqual(['end', size])
    expect(chunkedRes.trailers['x-bytes-sha256']).toBe(chunked.sha256)
  })

  it('answers HEAD with the headers and no body', async () => {
    const response = await request(url('/bytes/12345'), { method: 'HEAD' })

    expect(response.status).toBe(200)
    expect(response.headers['content-length']).toBe('12345')
    expect(response.body.length).toBe(0)
  })

  it('sends 204 and 304 without a body byte on the wire', async () => {
    const port = fx.relay.publicPort
    const ask = (path: string) =>
      rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: web.localhost\r\nConnection: close\r\n\r\n`)

    const [noContent, notModified] = await Promise.all([ask('/status/204'), ask('/status/304')])

    for (const [raw, head] of [
      [noContent, 'HTTP/1.1 204 No Content'],
      [notModified, 'HTTP/1.1 304 Not Modified'],
    ] as const) {
      const text = raw.toString('latin1')
      expect(text.startsWith(`${head}\r\n`)).toBe(true)
      expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('')
      expect(text.toLowerCase()).not.toContain('transfer-encoding')
    }
  })

  it('handles Expect: 100-continue: the body is sent after the interim answer', async () => {
    const body = randomBytes(MiB)
    const req = openRequest(url('/expect'), {
      method: 'POST',
      headers: { expect: '100-continue', 'content-length': String(body.length) },
    })
    let continued = false
    req.once('continue', () => {
      continued = true
      req.end(body)
    })
    req.flushHeaders()
    const result = await readBody(await responseOf(req))

    const reply = JSON.parse(result.text) as EchoReply
    expect(continued).toBe(true)
    expect(reply.bodyBytes).toBe(body.length)
    expect(reply.bodySha256).toBe(createHash('sha256').update(body).digest('hex'))
  })

  it('carries trailers from the client to the origin and back', async () => {
    const req = openRequest(url('/with-trailers'), {
      method: 'POST',
      headers: { trailer: 'x-client-sum', te: 'trailers' },
    })
    req.write('part one, ')
    req.addTrailers({ 'x-client-sum': 'abc123' })
    req.end('part two')
    const upload = JSON.parse((await readBody(await responseOf(req))).text) as EchoReply
    const downloadRes = await responseOf(openRequest(url('/trailers')).end())
    const download = await readBody(downloadRes)

    expect(upload.trailers).toEqual([['x-client-sum', 'abc123']])
    expect(upload.bodyBytes).toBe('part one, part two'.length)
    expect(download.text).toBe('body before trailers\n')
    expect(downloadRes.trailers).toEqual({ 'x-trailer-one': 'one', 'x-trailer-two': 'two' })
  })

  it('drops hop-by-hop headers in both directions and keeps the others', async () => {
    const sent = await request(url('/hop-request'), {
      headers: [
        ['Connection', 'X-Client-Hop'],
        ['X-Client-Hop', 'must not pass'],
        ['Keep-Alive', 'timeout=7'],
        ['Proxy-Connection', 'keep-alive'],
        ['X-Custom', 'passes'],
      ],
    })
    const received = await request(url('/hop'))

    const names = sent.json<EchoReply>().headers.map(([name]) => name.toLowerCase())
    expect(names).toContain('x-custom')
    expect(names).not.toContain('x-client-hop')
    expect(names).not.toContain('keep-alive')
    expect(names).not.toContain('proxy-connection')
    expect(received.text()).toBe('ok')
    expect(received.headers['x-kept']).toBe('passes')
    expect(received.headers['x-origin-hop']).toBeUndefined()
    expect(received.headers['keep-alive']).not.toBe('timeout=9')
  })

  it('keeps Host, adds X-Forwarded-For/-Proto/-Host, and honours httpHostHeader', async () => {
    const port = fx.relay.publicPort
    const kept = (await request(url('/host'))).json<EchoReply>()
    const overridden = (await request(url('/host', 'override.localhost'))).json<EchoReply>()

    expect(echoHeader(kept, 'host')).toEqual([`web.localhost:${port}`])
    expect(echoHeader(kept, 'x-forwarded-for')).toEqual(['127.0.0.1'])
    expect(echoHeader(kept, 'x-forwarded-proto')).toEqual(['http'])
    expect(echoHeader(kept, 'x-forwarded-host')).toEqual([`web.localhost:${port}`])
    expect(echoHeader(overridden, 'host')).toEqual(['internal.example'])
    expect(echoHeader(overridden, 'x-forwarded-host')).toEqual([`override.localhost:${port}`])
  })

  it('keeps several Set-Cookie lines as several lines', async () => {
    const response = await request(url('/cookies'))

    expect(response.setCookies).toEqual([
      'a=1; Path=/',
      'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly',
      'c=3',
    ])
    expect(response.rawHeaders.filter(([name]) => name.toLowerCase() === 'set-cookie'))
      .toHaveLength(3)
  })

  it('streams server-sent events: the first arrives before the origin ends', async () => {
    const res = await responseOf(openRequest(url('/sse-step')).end())
    res.setEncoding('utf8')
    let text = ''
    const firstEvent = new Promise<string>((resolve) => {
      res.on('data', (chunk: string) => {
        text += chunk
        if (text.includes('\n\n')) resolve(text)
      })
    })
    const ended = new Promise<void>((resolve) => res.once('end', resolve))

    const first = await firstEvent
    const originRecord = fx.origin.requests.find((record) => record.url === '/sse-step')
    const stateBeforeRelease = await Promise.race([
      originRecord?.outcome,
      new Promise((resolve) => setTimeout(() => resolve('still open'), 100)),
    ])
    releaseSse()
    await ended

    expect(res.headers['content-type']).toBe('text/event-stream')
    expect(first).toBe('data: first\n\n')
    expect(stateBeforeRelease).toBe('still open')
    expect(text).toBe('data: first\n\ndata: second\n\n')
  })
})
