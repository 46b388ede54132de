import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { ProtocolErrorCode, type ProtocolError } from '../src/errors.js'
import { ResetCode, type HeaderList, type InfoHead, type StreamHead } from '../src/wire.js'
import type { ComplianceFixture } from './compliance.js'
import {
  closed,
  echo,
  httpHead,
  readAll,
  serveStreams,
  thrownCode,
} from './support/stream-io.js'

/** Compliance cases for heads, trailers, limits, bad input, GOAWAY and ping. */
export function sessionCases(f: ComplianceFixture): void {
  describe('metadata', () => {
    const headers: HeaderList = [
      ['Host', 'app.test'],
      ['X-Mixed-Case', 'Value With Spaces'],
      ['set-cookie', 'a=1; Path=/'],
      ['Set-Cookie', 'b=2; HttpOnly'],
      ['x-empty', ''],
      ['Accept', 'text/html'],
      ['accept', 'application/json'],
    ]

    it('carries the stream head exactly, header case, repeats and order included', async () => {
      const served = f.nextStream()
      const head: StreamHead = httpHead({
        method: 'PATCH',
        target: '/a%20b?x=1&x=2',
        headers,
        hasBody: false,
        mayHaveTrailers: false,
        clientIp: '2001:db8::1',
        proto: 'https',
      })
      f.opener.open(head, { hasBody: false })
      const incoming = await served

      expect(incoming.head).toEqual(head)
    })

    it('carries the reply and informational heads exactly', async () => {
      const early: InfoHead = { status: 103, headers: [['Link', '</a>'], ['link', '</b>']] }
      const reply = {
        status: 201,
        statusMessage: 'Made It',
        headers,
        hasBody: false,
        mayHaveTrailers: false,
      }
      serveStreams(f.acceptor, (incoming) => {
        incoming.sendInfo({ status: 100 })
        incoming.sendInfo(early)
        incoming.respond(reply)
        incoming.data.resume()
      })
      const stream = f.opener.open(httpHead(), { hasBody: false })
      const infos: InfoHead[] = []
      stream.onInfo((info) => infos.push(info))

      expect(await stream.reply).toEqual(reply)
      expect(infos).toEqual([{ status: 100 }, early])
    })

    it('carries trailers both ways, repeated names included', async () => {
      const upTrailers: HeaderList = [['X-Sum', 'a'], ['x-sum', 'b'], ['Server-Timing', 'db']]
      const downTrailers: HeaderList = [['grpc-status', '0'], ['X-Note', '1'], ['X-Note', '2']]
      const served = f.nextStream()
      const stream = f.opener.open(httpHead({ hasBody: true, mayHaveTrailers: true }), {
        hasBody: true,
        mayHaveTrailers: true,
      })
      let openerGot: HeaderList | undefined
      stream.onTrailers((list) => {
        openerGot = list
      })
      stream.setTrailers(upTrailers)
      stream.data.end('request body')
      const incoming = await served
      let acceptorGot: HeaderList | undefined
      incoming.onTrailers((list) => {
        acceptorGot = list
      })
      const body = await readAll(incoming.data)
      incoming.respond({ status: 200, hasBody: true, mayHaveTrailers: true })
      incoming.setTrailers(downTrailers)
      incoming.data.end('response body')
      const answer = await readAll(stream.data)
      await Promise.all([closed(stream), closed(incoming)])

      expect(body.toString()).toBe('request body')
      expect(answer.toString()).toBe('response body')
      expect(acceptorGot).toEqual(upTrailers)
      expect(openerGot).toEqual(downTrailers)
    })

    it('hands trailers that came before onTrailers was called to its listener', async () => {
      // The relay listens for trailers only once the reply is in, and the head, body and
      // trailers often arrive in one read: trailers already received must not be lost.
      const trailers: HeaderList = [['X-Trailer-One', 'one'], ['x-trailer-two', 'two']]
      serveStreams(f.acceptor, (incoming) => {
        incoming.data.resume()
        incoming.respond({ status: 200, hasBody: true, mayHaveTrailers: true })
        incoming.setTrailers(trailers)
        incoming.data.end('body before trailers')
      })
      const stream = f.opener.open(httpHead(), { hasBody: false })
      await stream.reply
      const body = await readAll(stream.data)
      await closed(stream)
      let got: HeaderList | undefined
      stream.onTrailers((list) => {
        got = list
      })
      await new Promise((resolve) => setImmediate(resolve))

      expect(body.toString()).toBe('body before trailers')
      expect(got).toEqual(trailers)
    })

    it('refuses to open a stream whose head is over the metadata limit', async () => {
      const huge = httpHead({ headers: [['x-huge', 'h'.repeat(128 * 1024)]] })

      expect(thrownCode(() => f.opener.open(huge, { hasBody: false }))).toBe(
        ProtocolErrorCode.metaTooLarge,
      )
      serveStreams(f.acceptor, (incoming) => {
        incoming.respond({ status: 200, hasBody: false })
        incoming.data.resume()
      })
      expect((await f.opener.open(httpHead(), { hasBody: false }).reply).status).toBe(200)
    })

    it('resets a stream whose reply is over the metadata limit, and only that one', async () => {
      serveStreams(f.acceptor, (incoming) => {
        const big = incoming.head.target === '/big'
        const headers: HeaderList = big ? [['x-huge', 'h'.repeat(128 * 1024)]] : []
        incoming.respond({ status: 200, headers, hasBody: false })
        incoming.data.resume()
      })
      const big = f.opener.open(httpHead({ target: '/big' }), { hasBody: false })
      const outcome = await big.reply.then(
        () => 'answered',
        (err: unknown) => (err as ProtocolError).code,
      )

      expect(outcome).toBe(ProtocolErrorCode.streamReset)
      expect(big.resetCode).toBeDefined()
      expect((await f.opener.open(httpHead(), { hasBody: false }).reply).status).toBe(200)
    })
  })

  describe('bad stream heads', () => {
    const malformed: Array<[string, unknown]> = [
      ['an unknown kind', { kind: 'smtp', reqId: 'r', host: 'h' }],
      ['an http head without a method', { kind: 'http', reqId: 'r', host: 'h', target: '/' }],
      ['headers that are not pairs', { ...httpHead(), headers: [['a', 'b', 'c']] }],
    ]

    it.each(malformed)('resets a stream with %s and carries on', async (_, bad) => {
      serveStreams(f.acceptor, echo)
      const badStreams: unknown[] = []
      f.acceptor.on('badStream', (err: unknown) => badStreams.push(err))
      const before = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      before.data.write('first half, ')
      await before.reply

      const rejected = f.opener.open(bad as StreamHead, { hasBody: false })
      const outcome = await rejected.reply.then(
        () => 'answered',
        (err: unknown) => (err as ProtocolError).code,
      )
      before.data.end('second half')
      const after = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      after.data.end('after')

      expect(outcome).toBe(ProtocolErrorCode.streamReset)
      expect(rejected.resetCode).toBe(ResetCode.protocol)
      expect(badStreams).toHaveLength(1)
      expect((badStreams[0] as ProtocolError).code).toBe(ProtocolErrorCode.badMeta)
      expect((await readAll(before.data)).toString()).toBe('first half, second half')
      expect((await readAll(after.data)).toString()).toBe('after')
    })
  })

  describe('session', () => {
    it('refuses new streams after the acceptor goes away, finishing those under way', async () => {
      serveStreams(f.acceptor, echo)
      const underWay = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      underWay.data.write('before ')
      await underWay.reply
      const told = once(f.opener, 'goaway')
      f.acceptor.goAway()
      await told

      expect(f.opener.draining).toBe(true)
      expect(f.acceptor.draining).toBe(true)
      expect(thrownCode(() => f.opener.open(httpHead(), { hasBody: false }))).toBe(
        ProtocolErrorCode.sessionDraining,
      )
      underWay.data.end('after')
      expect((await readAll(underWay.data)).toString()).toBe('before after')
      await closed(underWay)
      expect(underWay.resetCode).toBeUndefined()
    })

    it('opens no new stream after its own goAway, finishing those under way', async () => {
      serveStreams(f.acceptor, echo)
      const underWay = f.opener.open(httpHead({ hasBody: true }), { hasBody: true })
      underWay.data.write('before ')
      await underWay.reply
      const told = once(f.acceptor, 'goaway')
      f.opener.goAway()
      await told

      expect(f.acceptor.draining).toBe(true)
      expect(thrownCode(() => f.opener.open(httpHead(), { hasBody: false }))).toBe(
        ProtocolErrorCode.sessionDraining,
      )
      underWay.data.end('after')
      expect((await readAll(underWay.data)).toString()).toBe('before after')
    })

    it('answers pings from both ends', async () => {
      const [fromOpener, fromAcceptor] = await Promise.all([f.opener.ping(), f.acceptor.ping()])

      expect(fromOpener).toBeGreaterThanOrEqual(0)
      expect(fromAcceptor).toBeGreaterThanOrEqual(0)
    })

    it('refuses to open once destroyed, with ERR_SESSION_CLOSED', async () => {
      const gone = once(f.opener, 'close')
      f.opener.destroy()
      await gone

      expect(f.opener.closed).toBe(true)
      expect(thrownCode(() => f.opener.open(httpHead(), { hasBody: false }))).toBe(
        ProtocolErrorCode.sessionClosed,
      )
    })
  })
}
