import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type * as http from 'node:http'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { OriginErrorCode, ResetCode } from '@keyway/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { fullBacklogPort } from './support/full-backlog.js'
import { startHandler, type HandlerHarness } from './support/handler-harness.js'
import { closed, delay, listenHttp, readAll, waitFor } from './support/streams.js'

let harness: HandlerHarness | undefined
const cleanups: Array<() => unknown> = []

afterEach(async () => {
  await harness?.close()
  harness = undefined
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function origin(handler: http.RequestListener) {
  const started = await listenHttp(handler)
  cleanups.push(started.close)
  return started
}

async function harnessFor(port: number, originRequest: Record<string, unknown> = {}) {
  harness = await startHandler({
    ingress: [{ service: `http://127.0.0.1:${port}`, originRequest }],
  })
  return harness
}

describe('forwardHttp', () => {
  it('forwards a GET and streams the answer back', async () => {
    const seen: string[] = []
    const { port } = await origin((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.host}`)
      res.setHeader('Content-Type', 'text/plain')
      res.end('hello from origin')
    })
    const h = await harnessFor(port)

    const stream = h.open({ target: '/greet?x=1', headers: [['Host', 'app.test']] })
    const reply = await stream.reply
    const body = await readAll(stream.data)

    expect(reply.status).toBe(200)
    expect(reply.hasBody).toBe(true)
    expect(body.toString()).toBe('hello from origin')
    expect(seen).toEqual(['GET /greet?x=1 app.test'])
  })

  it('keeps header names, repeated lines and order both ways, minus hop-by-hop headers',
    async () => {
      let received: string[] = []
      const { port } = await origin((req, res) => {
        received = req.rawHeaders
        res.writeHead(200, [
          'X-Mixed-Case', 'Yes',
          'Set-Cookie', 'a=1',
          'Set-Cookie', 'b=2',
          'Connection', 'keep-alive, X-Hop',
          'X-Hop', 'drop me',
          'Keep-Alive', 'timeout=5',
          'Content-Length', '2',
        ])
        res.end('ok')
      })
      const h = await harnessFor(port)

      const stream = h.open({
        headers: [['Host', 'app.test'], ['X-Custom', 'a'], ['x-custom', 'b'], ['X-CUSTOM', 'c']],
      })
      const reply = await stream.reply
      await readAll(stream.data)

      expect(received.slice(0, 8)).toEqual([
        'Host', 'app.test', 'X-Custom', 'a', 'x-custom', 'b', 'X-CUSTOM', 'c',
      ])
      const names = (reply.headers ?? []).map(([name]) => name)
      expect(reply.headers).toEqual(
        expect.arrayContaining([
          ['X-Mixed-Case', 'Yes'],
          ['Set-Cookie', 'a=1'],
          ['Set-Cookie', 'b=2'],
        ]),
      )
      expect(names.indexOf('Set-Cookie')).toBeLessThan(names.lastIndexOf('Set-Cookie'))
      expect(names.map((name) => name.toLowerCase())).not.toContain('connection')
      expect(names).not.toContain('X-Hop')
      expect(names).not.toContain('Keep-Alive')
    })

  it('carries a 32 MiB chunked request body and echoes it intact', async () => {
    const { port } = await origin((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      req.pipe(res)
    })
    const h = await harnessFor(port)
    const chunks = Array.from({ length: 128 }, () => randomBytes(256 * 1024))
    const sent = createHash('sha256')
    for (const chunk of chunks) sent.update(chunk)

    const stream = h.open({ method: 'POST', target: '/echo', hasBody: true })
    const echoed = createHash('sha256')
    let echoedBytes = 0
    const reading = (async () => {
      await stream.reply
      for await (const chunk of stream.data) {
        echoed.update(chunk as Buffer)
        echoedBytes += (chunk as Buffer).length
      }
    })()
    await pipeline(Readable.from(chunks), stream.data)
    await reading

    expect(echoedBytes).toBe(32 * 1024 * 1024)
    expect(echoed.digest('hex')).toBe(sent.digest('hex'))
  })

  it('stops the origin while the relay side does not read, then delivers everything', async () => {
    const totalBytes = 64 * 1024 * 1024
    const chunk = Buffer.alloc(256 * 1024, 7)
    let written = 0
    const { port } = await origin((_req, res) => {
      res.writeHead(200, { 'content-length': String(totalBytes) })
      const pump = () => {
        while (written < totalBytes) {
          written += chunk.length
          if (!res.write(chunk)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      pump()
    })
    const h = await harnessFor(port)

    const stream = h.open({ target: '/big' })
    await stream.reply
    let last = -1
    while (written !== last) {
      last = written
      await delay(150)
    }
    const heldWhilePaused = written
    const body = await readAll(stream.data)

    expect(heldWhilePaused).toBeLessThan(24 * 1024 * 1024)
    expect(body.length).toBe(totalBytes)
  })

  it('carries trailers in both directions', async () => {
    let requestTrailers: string[] = []
    const { port } = await origin((req, res) => {
      req.resume()
      req.on('end', () => {
        requestTrailers = req.rawTrailers
        res.writeHead(200, { Trailer: 'X-Checksum' })
        res.write('body')
        res.addTrailers([['X-Checksum', 'abc123']])
        res.end()
      })
    })
    const h = await harnessFor(port)

    const stream = h.open(
      { method: 'POST', hasBody: true, mayHaveTrailers: true },
      { hasBody: true, mayHaveTrailers: true },
    )
    stream.setTrailers([['X-Request-Sum', 'r1']])
    stream.data.end('payload')
    const reply = await stream.reply
    const trailers = new Promise((resolve) => stream.onTrailers(resolve))
    const body = await readAll(stream.data)

    expect(reply.mayHaveTrailers).toBe(true)
    expect(body.toString()).toBe('body')
    expect(await trailers).toEqual([['X-Checksum', 'abc123']])
    expect(requestTrailers).toEqual(['X-Request-Sum', 'r1'])
  })

  it('forwards 100 Continue before the body is sent, and 103 Early Hints', async () => {
    const { port, server } = await origin((req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' })
      let size = 0
      req.on('data', (data: Buffer) => (size += data.length))
      req.on('end', () => res.end(`got ${size}`))
    })
    server.on('checkContinue', (req, res) => {
      res.writeContinue()
      server.emit('request', req, res)
    })
    const h = await harnessFor(port)

    const stream = h.open({
      method: 'PUT',
      hasBody: true,
      headers: [['Host', 'app.test'], ['Expect', '100-continue'], ['Content-Length', '5']],
    })
    const infos: number[] = []
    const hintLinks: string[] = []
    const continued = new Promise<void>((resolve) => {
      stream.onInfo((info) => {
        infos.push(info.status)
        for (const [name, value] of info.headers ?? []) {
          if (name.toLowerCase() === 'link') hintLinks.push(value)
        }
        if (info.status === 100) resolve()
      })
    })
    await continued
    stream.data.end('12345')
    const reply = await stream.reply
    const body = await readAll(stream.data)

    expect(infos).toEqual([100, 103])
    expect(hintLinks).toEqual(['</style.css>; rel=preload'])
    expect(reply.status).toBe(200)
    expect(body.toString()).toBe('got 5')
  })

  it.each([
    ['HEAD', 200],
    ['GET', 204],
    ['GET', 304],
  ])('answers %s with status %i without a body', async (method, status) => {
    const { port } = await origin((_req, res) => {
      res.writeHead(status, status === 200 ? { 'content-length': '42' } : {})
      res.end()
    })
    const h = await harnessFor(port)

    const stream = h.open({ method })
    const reply = await stream.reply
    const body = await readAll(stream.data)

    expect(reply.status).toBe(status)
    expect(reply.hasBody).toBe(false)
    expect(body.length).toBe(0)
  })

  it('retries once on a fresh connection when a pooled one was stale', async () => {
    const perSocket = new WeakMap<Socket, number>()
    let resetDone = false
    let connections = 0
    const { port, server } = await origin((req, res) => {
      const count = (perSocket.get(req.socket) ?? 0) + 1
      perSocket.set(req.socket, count)
      if (count === 2 && !resetDone) {
        resetDone = true
        req.socket.resetAndDestroy()
        return
      }
      res.end(`answer ${count}`)
    })
    server.on('connection', () => connections++)
    const h = await harnessFor(port)

    const first = h.open({ target: '/one' })
    expect((await readAll(first.data)).toString()).toBe('answer 1')
    const second = h.open({ target: '/two' })
    const reply = await second.reply
    const body = await readAll(second.data)

    expect(resetDone).toBe(true)
    expect(reply.status).toBe(200)
    expect(body.toString()).toBe('answer 1')
    expect(connections).toBe(2)
    expect(h.log.lines().some((line) => String(line.msg).includes('retrying once'))).toBe(true)
  })

  it('does not retry a request with a body on a stale connection', async () => {
    const perSocket = new WeakMap<Socket, number>()
    const { port } = await origin((req, res) => {
      const count = (perSocket.get(req.socket) ?? 0) + 1
      perSocket.set(req.socket, count)
      if (count === 2) {
        req.socket.resetAndDestroy()
        return
      }
      req.resume()
      req.on('end', () => res.end('ok'))
    })
    const h = await harnessFor(port)

    await readAll(h.open({}).data)
    const stream = h.open({ method: 'POST', hasBody: true })
    stream.data.end('data')
    const reply = await stream.reply

    expect(reply.status).toBe(502)
    expect(reply.error?.code).toBe(OriginErrorCode.protocol)
  })

  it('answers 502 with ERR_ORIGIN_REFUSED when nothing listens', async () => {
    const { port, close } = await listenHttp(() => {})
    await close()
    const h = await harnessFor(port)

    const stream = h.open({})
    const reply = await stream.reply
    const body = await readAll(stream.data)

    expect(reply.status).toBe(502)
    expect(reply.error?.code).toBe(OriginErrorCode.refused)
    expect(body.toString()).toContain('refused')
    const line = h.log.lines().find((entry) => entry.msg === 'origin request failed')
    expect(line?.code).toBe(OriginErrorCode.refused)
    expect(line?.level).toBe(50)
  })

  it('answers 504 with ERR_ORIGIN_TIMEOUT when the connection is never accepted', async () => {
    const backlog = await fullBacklogPort()
    cleanups.push(backlog.close)
    const h = await harnessFor(backlog.port, { connectTimeoutMs: 300 })

    const stream = h.open({})
    const reply = await stream.reply
    const body = await readAll(stream.data)

    expect(reply.status).toBe(504)
    expect(reply.error?.code).toBe(OriginErrorCode.timeout)
    expect(body.toString()).toContain('300 ms')
  })

  it('aborts the origin request when the relay resets the stream', async () => {
    let originRequest: http.IncomingMessage | undefined
    const { port } = await origin((req) => {
      req.on('error', () => {})
      originRequest = req
    })
    const h = await harnessFor(port)

    const stream = h.open({ target: '/slow' })
    await waitFor(() => originRequest !== undefined)
    const originClosed = closed(originRequest as http.IncomingMessage)
    stream.reset(ResetCode.cancel)
    await originClosed

    expect(originRequest?.complete).toBe(true)
    expect(originRequest?.socket.destroyed).toBe(true)
  })

  it('resets the stream when the origin fails mid-response', async () => {
    const { port } = await origin((req, res) => {
      res.writeHead(200, { 'content-length': '1000' })
      res.write('partial')
      setImmediate(() => req.socket.destroy())
    })
    const h = await harnessFor(port)

    const stream = h.open({})
    const reply = await stream.reply
    const chunks: Buffer[] = []
    stream.data.on('data', (chunk: Buffer) => chunks.push(chunk))
    let ended = false
    stream.data.on('end', () => (ended = true))
    await closed(stream.data)

    expect(reply.status).toBe(200)
    expect(ended).toBe(false)
    expect([ResetCode.internal, ResetCode.connect]).toContain(stream.resetCode)
  })

  it('sets the Host header from httpHostHeader', async () => {
    let host: string | undefined
    const { port } = await origin((req, res) => {
      host = req.headers.host
      res.end()
    })
    const h = await harnessFor(port, { httpHostHeader: 'internal.example' })

    await readAll(h.open({ headers: [['Host', 'app.test']] }).data)

    expect(host).toBe('internal.example')
  })

  it('counts requests and bytes in its metrics', async () => {
    const { port } = await origin((req, res) => req.pipe(res))
    const h = await harnessFor(port)

    const stream = h.open({ method: 'POST', hasBody: true })
    stream.data.end('0123456789')
    await readAll(stream.data)
    await closed(stream.data)
    await waitFor(() => h.log.lines().some((line) => line.msg === 'stream finished'))
    const text = await h.metrics.render()

    expect(text).toMatch(/keyway_connector_requests_total\{kind="http",status="200"\} 1/)
    expect(text).toMatch(/keyway_connector_bytes_total\{direction="in"\} 10/)
    expect(text).toMatch(/keyway_connector_bytes_total\{direction="out"\} 10/)
  })
})
