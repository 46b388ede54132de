import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { H2Mux, ResetCode, webSocketTransport } from '@keyway/protocol'
import { WebSocket, WebSocketServer } from 'ws'
import type { TunnelLink } from '../../src/tunnel-registry.js'

/** A tunnel connection whose connector end refuses every stream, as a draining one does. */
export interface RefusingLink {
  link: TunnelLink
  /** Streams refused so far. */
  refused: () => number
  close(): Promise<void>
}

/** Opens a real HTTP/2-over-WebSocket session on loopback whose acceptor refuses streams. */
export async function openRefusingLink(tunnel: string): Promise<RefusingLink> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const accepted = once(server, 'connection') as Promise<[WebSocket]>
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false })
  await once(client, 'open')
  const [relaySide] = await accepted
  const mux = H2Mux.opener(webSocketTransport(relaySide))
  const acceptor = H2Mux.acceptor(webSocketTransport(client))
  let refused = 0
  acceptor.on('stream', (stream: { reset(code: number): void }) => {
    refused++
    stream.reset(ResetCode.refused)
  })
  return {
    link: {
      connectionId: 'refusing',
      tunnel,
      connectorId: 'refusing-connector',
      connIndex: 0,
      mux,
      registeredAt: Date.now(),
    },
    refused: () => refused,
    close: async () => {
      mux.destroy()
      acceptor.destroy()
      client.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
