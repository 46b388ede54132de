import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { Duplex } from 'node:stream'
import { WebSocket, WebSocketServer } from 'ws'
import { H2Mux, defaultH2MuxLimits, type H2MuxLimits } from '../../src/h2-mux.js'
import { MAX_TUNNEL_MESSAGE_BYTES, webSocketTransport } from '../../src/ws-transport.js'
import type { MuxPair } from '../compliance.js'

/** A connected loopback WebSocket: the server's end and the client's. */
export interface WebSocketLink {
  readonly serverSide: WebSocket
  readonly client: WebSocket
  /** Terminates both ends and closes the server. */
  close(): Promise<void>
}

/**
 * A loopback WebSocket set up as the relay and connector set theirs: no compression and the
 * tunnel's message limit.
 */
export async function openWebSocketLink(): Promise<WebSocketLink> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: MAX_TUNNEL_MESSAGE_BYTES,
  })
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const accepted = once(server, 'connection') as Promise<[WebSocket]>
  const client = new WebSocket(`ws://127.0.0.1:${port}`, {
    perMessageDeflate: false,
    maxPayload: MAX_TUNNEL_MESSAGE_BYTES,
  })
  await once(client, 'open')
  const [serverSide] = await accepted
  return {
    serverSide,
    client,
    close: async () => {
      client.terminate()
      serverSide.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** H2Mux on both ends of a real loopback WebSocket, the relay end opening streams. */
export async function openWebSocketPair(
  limits: H2MuxLimits = defaultH2MuxLimits,
): Promise<MuxPair> {
  const link = await openWebSocketLink()
  const opener = H2Mux.opener(webSocketTransport(link.serverSide), limits)
  const acceptor = H2Mux.acceptor(webSocketTransport(link.client), limits)
  return {
    opener,
    acceptor,
    streamWindowBytes: limits.streamWindowBytes,
    close: async () => {
      opener.destroy()
      acceptor.destroy()
      await link.close()
    },
  }
}

/**
 * H2Mux on both ends of an in-memory duplex pair: the same sessions without sockets.
 *
 * Each end takes a write at once, as a socket does while the kernel has buffer room, and
 * hands it to the other end. A pair of PassThroughs would not do: a Node HTTP/2 session
 * stops reading while one of its writes is pending, so two sessions that both wait for
 * the other to read a full 16 KiB buffer would stop for good.
 */
export async function openMemoryPair(
  limits: H2MuxLimits = defaultH2MuxLimits,
): Promise<MuxPair> {
  const [openerEnd, acceptorEnd] = memoryDuplexPair()

  const opener = H2Mux.opener(openerEnd, limits)
  const acceptor = H2Mux.acceptor(acceptorEnd, limits)
  return {
    opener,
    acceptor,
    streamWindowBytes: limits.streamWindowBytes,
    close: async () => {
      opener.destroy()
      acceptor.destroy()
      openerEnd.destroy()
      acceptorEnd.destroy()
    },
  }
}

function memoryDuplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = []
  const makeEnd = (index: number): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        ends[1 - index]?.push(chunk)
        callback()
      },
      final(callback) {
        ends[1 - index]?.push(null)
        callback()
      },
    })
  ends.push(makeEnd(0), makeEnd(1))
  return [ends[0] as Duplex, ends[1] as Duplex]
}
