import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { ProtocolErrorCode } from '../src/errors.js'
import { MAX_META_BYTES } from '../src/meta.js'
import type { IncomingStream } from '../src/mux.js'
import { muxCompliance, type MuxPair } from './compliance.js'
import { openMemoryPair, openWebSocketPair } from './support/mux-pairs.js'
import { closed, echo, httpHead, readAll, serveStreams, thrownCode } from './support/stream-io.js'

muxCompliance('H2Mux over a loopback WebSocket', () => openWebSocketPair())
muxCompliance('H2Mux over an in-memory duplex pair', () => openMemoryPair())

describe('H2Mux', () => {
  let pair: MuxPair | undefined

  afterEach(async () => {
    await pair?.close()
    pair = undefined
  })

  // Regression: Node closes a client session as soon as a GOAWAY arrives, and `closed`
  // and `open()` read that as the end of the session.
  it('stays open, not closed, while streams finish after the peer went away', async () => {
    pair = await openWebSocketPair()
    const { opener, acceptor } = pair
    serveStreams(acceptor, echo)
    const underWay = opener.open(httpHead({ hasBody: true }), { hasBody: true })
    await underWay.reply
    const told = once(opener, 'goaway')
    acceptor.goAway()
    await told

    expect(opener.closed).toBe(false)
    expect(thrownCode(() => opener.open(httpHead(), { hasBody: false }))).toBe(
      ProtocolErrorCode.sessionDraining,
    )
    underWay.data.end('done')
    expect((await readAll(underWay.data)).toString()).toBe('done')
  })

  // Regression: a head just over 64 KiB encoded went out and failed the whole connection
  // (HPACK refuses such a field), taking every other stream with it.
  it('keeps the session when a head is over the single-field limit', async () => {
    pair = await openWebSocketPair()
    const { opener, acceptor } = pair
    serveStreams(acceptor, echo)
    const value = 'v'.repeat(Math.ceil((MAX_META_BYTES * 3) / 4) + 1024)
    const underWay = opener.open(httpHead({ hasBody: true }), { hasBody: true })
    await underWay.reply

    const big = httpHead({ headers: [['x-big', value]] })
    expect(thrownCode(() => opener.open(big, { hasBody: false }))).toBe(
      ProtocolErrorCode.metaTooLarge,
    )
    expect(await opener.ping()).toBeGreaterThanOrEqual(0)
    underWay.data.end('still here')
    expect((await readAll(underWay.data)).toString()).toBe('still here')
  })

  // Regression: an acceptor that answered before reading had its stream closed by Node,
  // and the opener's later bytes were thrown away.
  it('carries an upload that follows a complete answer', async () => {
    pair = await openWebSocketPair()
    const { opener, acceptor } = pair
    const served = once(acceptor, 'stream') as Promise<[IncomingStream]>
    const stream = opener.open(httpHead({ hasBody: true }), { hasBody: true })
    const [incoming] = await served
    incoming.respond({ status: 200, hasBody: false })
    await stream.reply
    stream.data.end('after the answer')

    expect((await readAll(incoming.data)).toString()).toBe('after the answer')
    await closed(incoming)
    expect(incoming.resetCode).toBeUndefined()
  })

  it('refuses open() on the accepting end with a TypeError', async () => {
    pair = await openMemoryPair()

    expect(() => pair?.acceptor.open(httpHead(), { hasBody: false })).toThrow(TypeError)
  })
})
