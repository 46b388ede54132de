import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { H2Mux, webSocketTransport } from '@keyway/protocol'
import { WebSocket, WebSocketServer } from 'ws'

/** Both ends of a real tunnel session over a loopback WebSocket. */
export interface TunnelPair {
  /** The relay's end: opens streams. */
  relay: H2Mux
  /** The connector's end: accepts streams. */
  connector: H2Mux
  close(): Promise<void>
}

/** Opens a WebSocket on loopback and runs an H2Mux on each end of it. */
export async function openTunnelPair(): Promise<TunnelPair> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const accepted = once(server, 'connection') as Promise<[WebSocket]>
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false })
  await once(client, 'open')
  const [serverSide] = await accepted

  const relay = H2Mux.opener(webSocketTransport(serverSide))
  const connector = H2Mux.acceptor(webSocketTransport(client))
  return {
    relay,
    connector,
    close: async () => {
      relay.destroy()
      connector.destroy()
      client.terminate()
      serverSide.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
