import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { H2Mux } from '../src/h2-mux.js'
import type { IncomingStream } from '../src/mux.js'
import { ResetCode } from '../src/wire.js'
import { webSocketTransport } from '../src/ws-transport.js'
import { openWebSocketLink, openWebSocketPair } from './support/mux-pairs.js'
import { echo, httpHead, readAll, serveStreams } from './support/stream-io.js'

interface Linked {
  readonly opener: H2Mux
  readonly acceptor: H2Mux
  /** The TCP socket under the acceptor's WebSocket. */
  readonly acceptorSocket: Socket
  close(): Promise<void>
}

async function linkOverWebSocket(): Promise<Linked> {
  const link = await openWebSocketLink()
  const opener = H2Mux.opener(webSocketTransport(link.serverSide))
  const acceptor = H2Mux.acceptor(webSocketTransport(link.client))
  const acceptorSocket = (link.client as unknown as { _socket: Socket })._socket
  return {
    opener,
    acceptor,
    acceptorSocket,
    close: async () => {
      opener.destroy()
      acceptor.destroy()
      await link.close()
    },
  }
}

describe('webSocketTransport', () => {
  let linked: Linked | undefined

  afterEach(async () => {
    await linked?.close()
    linked = undefined
  })

  // Regression: ws ends only the readable side of its stream when the socket vanishes
  // without a close handshake, so the session stayed open until a ping timed out.
  it.each([false, true])(
    'closes the session and its streams when the peer vanishes (after GOAWAY: %s)',
    async (afterGoAway) => {
      linked = await linkOverWebSocket()
      const { opener, acceptor } = linked
      const served = once(acceptor, 'stream') as Promise<[IncomingStream]>
      const stream = opener.open(httpHead(), { hasBody: false })
      await served
      if (afterGoAway) {
        const told = once(opener, 'goaway')
        acceptor.goAway()
        await told
      }
      const sessionClosed = once(opener, 'close')
      const reply = stream.reply.then(
        () => 'answered',
        (err: unknown) => String(err),
      )

      linked.acceptorSocket.destroy()
      await sessionClosed

      expect(opener.closed).toBe(true)
      expect(await reply).toMatch(/closed before its reply/)
      expect(stream.resetCode).toBe(ResetCode.cancel)
    },
  )

  // Regression: Node's HTTP/2 session reads nothing while one of its writes is pending.
  // With echo streams whose replies nobody read, both ends' writes waited on full sockets
  // and neither read again: PINGs went unanswered and the connection was dropped.
  it('keeps answering PINGs and new streams while echo streams go unread', async () => {
    const pair = await openWebSocketPair()
    const { opener, acceptor } = pair
    try {
      serveStreams(acceptor, echo)
      const chunk = randomBytes(256 * 1024)
      for (let i = 0; i < 6; i++) {
        const unread = opener.open(httpHead({ hasBody: true }), { hasBody: true })
        unread.data.pause()
        for (let k = 0; k < 32; k++) unread.data.write(chunk)
      }
      await new Promise((resolve) => setTimeout(resolve, 1000))

      const fresh = opener.open(httpHead({ hasBody: true }), { hasBody: true })
      fresh.data.end('still flowing')

      expect(await opener.ping()).toBeGreaterThanOrEqual(0)
      expect((await readAll(fresh.data)).toString()).toBe('still flowing')
    } finally {
      await pair.close()
    }
  })
})
