import { createHash } from 'node:crypto'
import { once } from 'node:events'
import * as http from 'node:http'
import * as net from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  freePort,
  handleOriginRoute,
  patternBytes,
  patternSha256,
  startHttpOrigin,
  type EchoReply,
} from '@keyway/testkit'
import { linesOf, send, waitFor } from './support/client.js'
import { startTunnel, type TunnelHarness } from './support/tunnel-harness.js'

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** Lets the test release the second server-sent event of `/gated-sse`. */
let releaseSse: (() => void) | undefined

function originRoutes(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url !== '/gated-sse') return handleOriginRoute(req, res)
  req.resume()
  res.writeHead(200, { 'content-type': 'text/event-stream' })
  res.write('data: first\n\n')
  releaseSse = () => {
    res.write('data: second\n\n')
    res.end()
  }
}

describe('forwardHttp', () => {
  let h: TunnelHarness
  let port: number

  beforeAll(async () => {
    const closedPort = await freePort()
    h = await startTunnel({
      origin: await startHttpOrigin({ handler: originRoutes }),
      ingress: (origin) => [
        { hostname: 'down.app.test', service: `http://127.0.0.1:${closedPort}` },
        { service: origin.url },
      ],
    })
    port = h.relay.publicAddress.port
    // The origin decides about `Expect`: it refuses one path and asks for the body elsewhere.
    const { server } = h.origin
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url === '/expect-refused') return void res.writeHead(417).end()
      res.writeContinue()
      server.emit('request', req, res)
    })
  })
  afterAll(async () => {
    await h?.close()
  })

  it('carries a GET to the origin and its answer back', async () => {
    const res = await send(port, { path: '/hello?x=1' })
    const echo = JSON.parse(res.body.toString()) as EchoReply

    expect(res.status).toBe(200)
    expect(echo.method).toBe('GET')
    expect(echo.url).toBe('/hello?x=1')
  })

  it('carries a request body of several MiB intact', async () => {
    const body = patternBytes(7, 5 * 1024 * 1024 + 13)
    const res = await send(port, { method: 'POST', path: '/upload', body })
    const echo = JSON.parse(res.body.toString()) as EchoReply

    expect(echo.bodyBytes).toBe(body.length)
    expect(echo.bodySha256).toBe(sha256(body))
  })

  it('carries a chunked request body of several MiB intact', async () => {
    const body = patternBytes(3, 3 * 1024 * 1024)
    const size = 65_536
    const chunks = Array.from({ length: 48 }, (_, i) => body.subarray(i * size, (i + 1) * size))
    const res = await send(port, { method: 'PUT', path: '/chunked', body: Readable.from(chunks) })
    const echo = JSON.parse(res.body.toString()) as EchoReply

    expect(echo.bodyBytes).toBe(body.length)
    expect(echo.bodySha256).toBe(sha256(body))
  })

  it('carries a response body of several MiB intact', async () => {
    const size = 6 * 1024 * 1024 + 5
    const res = await send(port, { path: `/bytes/${size}` })

    expect(res.body.length).toBe(size)
    expect(sha256(res.body)).toBe(patternSha256(size))
  })

  it('forwards header lines exactly and drops hop-by-hop ones', async () => {
    const res = await send(port, {
      method: 'POST',
      path: '/headers',
      headers: [
        'X-Multi', 'one',
        'x-CaSe', 'kept',
        'X-Multi', 'two',
        'Connection', 'keep-alive, X-Hop',
        'X-Hop', 'dropped',
        'Keyway-Access-User', 'forged@example.com',
        'Cf-Access-Jwt-Assertion', 'forged',
        'X-Forwarded-For', '203.0.113.9',
        'Content-Length', '3',
      ],
      body: 'abc',
    })
    const echo = JSON.parse(res.body.toString()) as EchoReply
    const names = echo.headers.map(([name]) => name)
    const multi = echo.headers.filter(([name]) => name === 'X-Multi').map(([, value]) => value)

    expect(multi).toEqual(['one', 'two'])
    expect(echo.headers).toContainEqual(['x-CaSe', 'kept'])
    expect(echo.headers).toContainEqual(['Host', 'app.test'])
    expect(names).not.toContain('X-Hop')
    expect(names.map((name) => name.toLowerCase())).not.toContain('keyway-access-user')
    expect(names.map((name) => name.toLowerCase())).not.toContain('cf-access-jwt-assertion')
    expect(echo.headers).toContainEqual(['X-Forwarded-For', '203.0.113.9, 127.0.0.1'])
    expect(echo.headers).toContainEqual(['X-Forwarded-Proto', 'http'])
    expect(echo.headers).toContainEqual(['X-Forwarded-Host', 'app.test'])
    expect(echo.bodyBytes).toBe(3)
  })

  it('keeps repeated Set-Cookie lines as separate lines', async () => {
    const query = '?resHeader=Set-Cookie:a=1;%20Path=/&resHeader=Set-Cookie:b=2&resHeader=X-One:1'
    const res = await send(port, { path: `/cookies${query}` })

    expect(linesOf(res.rawHeaders, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2'])
    expect(linesOf(res.rawHeaders, 'x-one')).toEqual(['1'])
  })

  it('carries response trailers', async () => {
    const res = await send(port, { path: '/trailers' })

    expect(res.body.toString()).toBe('body before trailers\n')
    expect(linesOf(res.rawTrailers, 'x-trailer-one')).toEqual(['one'])
    expect(linesOf(res.rawTrailers, 'x-trailer-two')).toEqual(['two'])
  })

  it('carries request trailers', async () => {
    const echo = await new Promise<EchoReply>((resolve, reject) => {
      const req = http.request({
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/with-trailers',
        headers: { host: 'app.test', trailer: 'x-checksum' },
        agent: false,
      })
      req.once('error', reject)
      req.once('response', (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.once('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as EchoReply))
      })
      req.write('part one, ')
      req.addTrailers({ 'X-Checksum': 'abc123' })
      req.end('part two')
    })

    expect(echo.bodyBytes).toBe('part one, part two'.length)
    expect(echo.trailers).toEqual([['X-Checksum', 'abc123']])
  })

  it('answers HEAD with the headers and no body', async () => {
    const res = await send(port, { method: 'HEAD', path: '/bytes/1000' })

    expect(res.status).toBe(200)
    expect(res.headers['content-length']).toBe('1000')
    expect(res.body.length).toBe(0)
  })

  it.each([204, 304])('answers %i without a body', async (status) => {
    const res = await send(port, { path: `/status/${status}` })

    expect(res.status).toBe(status)
    expect(res.body.length).toBe(0)
  })

  it('sends 100 Continue only once the origin asks for the body', async () => {
    const result = await new Promise<{ continued: boolean; echo: EchoReply }>(
      (resolve, reject) => {
        let continued = false
        const req = http.request({
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/expect',
          headers: { host: 'app.test', expect: '100-continue', 'content-length': '5' },
          agent: false,
        })
        req.once('error', reject)
        req.once('continue', () => {
          continued = true
          req.end('hello')
        })
        req.once('response', (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.once('end', () => {
            const echo = JSON.parse(Buffer.concat(chunks).toString()) as EchoReply
            resolve({ continued, echo })
          })
        })
        req.flushHeaders()
      },
    )

    expect(result.continued).toBe(true)
    expect(result.echo.bodyBytes).toBe(5)
    expect(result.echo.headers).toContainEqual(['expect', '100-continue'])
  })

  it('sends no 100 Continue when the origin answers without asking for the body', async () => {
    const result = await new Promise<{ continued: boolean; status: number }>(
      (resolve, reject) => {
        let continued = false
        const req = http.request({
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/expect-refused',
          headers: { host: 'app.test', expect: '100-continue', 'content-length': '5' },
          agent: false,
        })
        req.once('error', reject)
        req.once('continue', () => {
          continued = true
        })
        req.once('response', (res) => {
          res.resume()
          res.once('end', () => resolve({ continued, status: res.statusCode ?? 0 }))
        })
        req.flushHeaders()
      },
    )

    expect(result).toEqual({ continued: false, status: 417 })
  })

  it('streams server-sent events one by one', async () => {
    const req = http.get({
      port,
      host: '127.0.0.1',
      path: '/gated-sse',
      headers: { host: 'app.test' },
      agent: false,
    })
    const [res] = (await once(req, 'response')) as [http.IncomingMessage]
    const [first] = (await once(res, 'data')) as [Buffer]
    // The origin sends the second event only now: the first cannot have waited for it.
    releaseSse?.()
    const rest: Buffer[] = []
    res.on('data', (chunk: Buffer) => rest.push(chunk))
    await once(res, 'end')

    expect(res.headers['content-type']).toBe('text/event-stream')
    expect(first.toString()).toBe('data: first\n\n')
    expect(Buffer.concat(rest).toString()).toBe('data: second\n\n')
  })

  it('aborts the origin request when the client disconnects', async () => {
    const req = http.get({
      port,
      host: '127.0.0.1',
      path: '/hang?abort=1',
      headers: { host: 'app.test' },
      agent: false,
    })
    req.on('error', () => {})
    const record = await h.origin.waitForRequest((entry) => entry.url === '/hang?abort=1')
    req.destroy()

    expect(await record.outcome).toBe('aborted')
  })

  it('makes the client see an aborted response when the origin resets mid-body', async () => {
    const outcome = await send(port, { path: '/reset?afterBytes=4096' }).then(
      () => 'complete',
      (err: Error) => err.message,
    )

    expect(outcome).not.toBe('complete')
    const byPath = () =>
      h.relayLog.find('request').find((entry) => entry.path === '/reset?afterBytes=4096')
    await waitFor(() => byPath() !== undefined)
    const line = byPath()
    expect(line?.outcome).toBe('stream-reset')
    expect(line?.level).toBe(50)
  })

  it('answers 404 for a host no tunnel serves', async () => {
    const res = await send(port, { host: 'nowhere.test:8080', path: '/x' })

    expect(res.status).toBe(404)
    expect(res.headers['keyway-error']).toBe('ERR_UNKNOWN_HOST')
    expect(res.body.toString()).toContain('no tunnel serves the host "nowhere.test"')
  })

  it('answers 400 to a Host that is not a host name, and never routes it', async () => {
    const hosts = ['*.app.test', 'a..app.test', 'x.app.test..', 'x.app.test:abc', 'x y.app.test',
      'x.app.test@evil.test', 'x.app.test/p', '[::1', '[zz]']
    const answers = await Promise.all(hosts.map((host) => send(port, { host, path: '/bad-host' })))

    expect(answers.map((res) => res.status)).toEqual(hosts.map(() => 400))
    expect(answers.map((res) => res.headers['keyway-error'])).toEqual(
      hosts.map(() => 'ERR_BAD_REQUEST'))
    expect(answers[0]?.body.toString()).toContain('the Host header is not a valid host name')
    const fine = await Promise.all(['X.App.Test.:8080', '127.0.0.1', '[::1]:80'].map((host) =>
      send(port, { host, path: '/good-host' })))
    expect(fine.map((res) => res.status)).toEqual([200, 404, 404])
  })

  it('answers 503 for a tunnel without a connected connector', async () => {
    const res = await send(port, { host: 'IDLE.test.', path: '/' })

    expect(res.status).toBe(503)
    expect(res.headers['keyway-error']).toBe('ERR_TUNNEL_UNAVAILABLE')
    expect(res.body.toString()).toContain('tunnel "idle" has no connected connector')
  })

  it('answers 502 naming the cause when the origin refuses the connection', async () => {
    const res = await send(port, { host: 'down.app.test', path: '/' })

    expect(res.status).toBe(502)
    expect(res.headers['keyway-error']).toBe('ERR_ORIGIN_REFUSED')
    expect(res.body.toString()).toContain('the origin refused the connection')
  })

  it('answers 431 to a request head above the limit and serves the next request', async () => {
    const big = await send(port, { path: '/big', headers: ['X-Big', 'x'.repeat(20_000)] })
    const next = await send(port, { path: '/after-big' })

    expect(big.status).toBe(431)
    expect(next.status).toBe(200)
  })

  it('answers 400 to a request without Host and serves the next request', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end('GET / HTTP/1.0\r\n\r\n')
      })
      const chunks: Buffer[] = []
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.once('error', reject)
      socket.once('close', () => {
        resolve(Number(/^HTTP\/1\.\d (\d{3})/.exec(Buffer.concat(chunks).toString())?.[1]))
      })
    })
    const next = await send(port, { path: '/after-no-host' })

    expect(status).toBe(400)
    expect(next.status).toBe(200)
  })

  it('routes a wildcard hostname to its tunnel', async () => {
    const res = await send(port, { host: 'api.app.test', path: '/wild' })
    const echo = JSON.parse(res.body.toString()) as EchoReply

    expect(res.status).toBe(200)
    expect(echo.headers).toContainEqual(['Host', 'api.app.test'])
  })

  it('writes one log line per request with its outcome', async () => {
    await send(port, { path: '/logged', headers: ['Authorization', 'Bearer secret-value'] })
    const logged = () => h.relayLog.find('request').filter((line) => line.path === '/logged')
    await waitFor(() => logged().length > 0)
    const lines = logged()
    const line = lines[0] ?? {}

    expect(lines).toHaveLength(1)
    expect(line).toMatchObject({
      level: 30,
      host: 'app.test',
      method: 'GET',
      status: 200,
      tunnelId: 'app',
      outcome: 'complete',
    })
    expect(line.bytesOut).toBeGreaterThan(0)
    expect(typeof line.connectionId).toBe('string')
    expect(typeof line.reqId).toBe('string')
    expect(typeof line.durationMs).toBe('number')
    expect(JSON.stringify(h.relayLog.lines())).not.toContain('secret-value')
  })

  it('serves and logs several requests on one keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const ports = new Set<number>()
    for (const i of [1, 2, 3]) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ port, host: '127.0.0.1', path: `/keep-alive/${i}`, agent,
          headers: { host: 'app.test' } })
        req.once('error', reject)
        req.once('response', (res) => {
          ports.add(res.socket.localPort ?? 0)
          res.resume()
          res.once('end', () => resolve())
        })
      })
    }
    agent.destroy()
    const lines = () =>
      h.relayLog.find('request').filter((line) => String(line.path).startsWith('/keep-alive/'))
    await waitFor(() => lines().length === 3)

    expect(ports.size).toBe(1)
    expect(lines().map((line) => line.status)).toEqual([200, 200, 200])
  })

  it('logs answers by outcome: 404 and 503 at info or above, 502 as an error', async () => {
    await send(port, { host: 'down.app.test', path: '/log-502' })
    await send(port, { host: 'idle.test', path: '/log-503' })
    const byPath = (path: string) => h.relayLog.find('request').find((line) => line.path === path)
    await waitFor(() => byPath('/log-502') !== undefined && byPath('/log-503') !== undefined)

    expect(byPath('/log-502')).toMatchObject({
      level: 50,
      status: 502,
      code: 'ERR_ORIGIN_REFUSED',
    })
    expect(byPath('/log-503')).toMatchObject({ status: 503, code: 'ERR_TUNNEL_UNAVAILABLE' })
  })
})
