import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import * as http from 'node:http'
import * as net from 'node:net'
import type { AddressInfo } from 'node:net'
import { TCP_SUBPROTOCOL, TcpCloseCode, ResetCode } from '@keyway/protocol'
import { loopbackLookup, startTcpEcho, type TcpEcho } from '@keyway/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { RequestRecord } from '../src/request-record.js'
import {
  TcpBridge,
  forwardTcpUpgrade,
  type TcpSessionLimits,
  type TcpSessionSummary,
} from '../src/tcp-bridge.js'
import { startTunnel, type TunnelHarness } from './support/tunnel-harness.js'
import { waitFor } from './support/client.js'

/** What a client saw of one session until the WebSocket closed. */
interface SessionResult {
  bytes: Buffer
  eofSeen: boolean
  closeCode: number
}

function collect(ws: WebSocket): Promise<SessionResult> {
  const chunks: Buffer[] = []
  let eofSeen = false
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) chunks.push(data)
    else if (data.toString() === 'eof') eofSeen = true
  })
  return new Promise((resolve) => {
    ws.once('close', (code: number) => {
      resolve({ bytes: Buffer.concat(chunks), eofSeen, closeCode: code })
    })
  })
}

/** An origin that resets every connection as soon as it receives a byte. */
async function startResettingOrigin(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    socket.once('data', () => socket.resetAndDestroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describe('TcpBridge', () => {
  let h: TunnelHarness
  let echo: TcpEcho
  let sorter: TcpEcho
  let resetter: { port: number; close: () => Promise<void> }
  let port: number

  beforeAll(async () => {
    echo = await startTcpEcho()
    sorter = await startTcpEcho({ mode: 'sort' })
    resetter = await startResettingOrigin()
    h = await startTunnel({
      ingress: (origin) => [
        { hostname: 'ssh.app.test', service: `ssh://127.0.0.1:${echo.port}` },
        { hostname: 'sort.app.test', service: `tcp://127.0.0.1:${sorter.port}` },
        { hostname: 'reset.app.test', service: `tcp://127.0.0.1:${resetter.port}` },
        // Port 9 (discard) is closed on loopback: the connector's dial is refused.
        { hostname: 'down.app.test', service: 'tcp://127.0.0.1:9' },
        { service: origin.url },
      ],
    })
    port = h.relay.publicAddress.port
  })
  afterAll(async () => {
    await h?.close()
    await echo?.close()
    await sorter?.close()
    await resetter?.close()
  })

  const connect = (host: string, targetPort = port) =>
    new WebSocket(`ws://${host}:${targetPort}/`, [TCP_SUBPROTOCOL], {
      lookup: loopbackLookup,
      perMessageDeflate: false,
    })

  const refusalOf = (ws: WebSocket) =>
    new Promise<{ status: number; code: string | undefined; opened: boolean }>((resolve) => {
      let opened = false
      ws.once('open', () => {
        opened = true
      })
      ws.once('unexpected-response', (_req, res: http.IncomingMessage) => {
        res.resume()
        const code = res.headers['keyway-error'] as string | undefined
        resolve({ status: res.statusCode ?? 0, code, opened })
      })
      ws.once('error', () => {})
    })

  describe('#bridge', () => {
    it('accepts the keyway-tcp.v1 subprotocol and echoes bytes both ways', async () => {
      const ws = connect('ssh.app.test')
      const result = collect(ws)
      await once(ws, 'open')

      ws.send(Buffer.from('SSH-2.0-test\r\n'))
      await waitFor(() => echo.connections.at(-1)?.bytesIn === 14)
      ws.send('eof')
      const seen = await result

      expect(ws.protocol).toBe(TCP_SUBPROTOCOL)
      expect(seen.bytes.toString()).toBe('SSH-2.0-test\r\n')
      expect(seen.eofSeen).toBe(true)
      expect(seen.closeCode).toBe(TcpCloseCode.normal)
    })

    it('carries half-close: the origin answers after reading end of input', async () => {
      const before = sorter.connections.length
      const ws = connect('sort.app.test')
      const result = collect(ws)
      await once(ws, 'open')

      ws.send(Buffer.from('pear\napple\n'))
      ws.send(Buffer.from('fig\n'))
      ws.send('eof')
      const seen = await result
      const connection = await sorter.waitForConnection(before)
      const closed = await connection.closed

      expect(seen.bytes.toString()).toBe('apple\nfig\npear\n')
      expect(seen.eofSeen).toBe(true)
      expect(seen.closeCode).toBe(TcpCloseCode.normal)
      expect(closed.hadError).toBe(false)
    })

    it('carries 16 MiB intact each way with backpressure', async () => {
      const ws = connect('ssh.app.test')
      const result = collect(ws)
      await once(ws, 'open')
      const payload = randomBytes(16 * 1024 * 1024)

      for (let offset = 0; offset < payload.length; offset += 256 * 1024) {
        ws.send(payload.subarray(offset, offset + 256 * 1024))
        while (ws.bufferedAmount > 4 * 1024 * 1024) await new Promise((r) => setTimeout(r, 5))
      }
      ws.send('eof')
      const seen = await result

      const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex')
      expect(seen.bytes.length).toBe(payload.length)
      expect(digest(seen.bytes)).toBe(digest(payload))
      expect(seen.closeCode).toBe(TcpCloseCode.normal)
    })

    it('logs one tcp session line with the bytes each way', async () => {
      const ws = connect('ssh.app.test')
      const result = collect(ws)
      await once(ws, 'open')

      ws.send(Buffer.alloc(1000, 1))
      ws.send('eof')
      await result
      await waitFor(() => h.relayLog.find('tcp session').some((l) => l.bytesIn === 1000))

      const line = h.relayLog.find('tcp session').find((l) => l.bytesIn === 1000)
      expect(line).toMatchObject({ host: 'ssh.app.test', bytesOut: 1000, outcome: 'closed' })
      expect(typeof line?.startedAt).toBe('string')
    })

    it('refuses with 502 and the origin error code when the origin is down', async () => {
      const refusal = await refusalOf(connect('down.app.test'))

      expect(refusal).toEqual({ status: 502, code: 'ERR_ORIGIN_REFUSED', opened: false })
    })

    it('refuses with 503 when the tunnel has no connector', async () => {
      const refusal = await refusalOf(connect('idle.test'))

      expect(refusal).toEqual({ status: 503, code: 'ERR_TUNNEL_UNAVAILABLE', opened: false })
    })

    it('refuses a malformed handshake with 400 before any stream is opened', async () => {
      const before = echo.connections.length
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1',
          port,
          headers: {
            host: 'ssh.app.test',
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-protocol': TCP_SUBPROTOCOL,
            'sec-websocket-version': '13',
            'sec-websocket-key': 'short',
          },
        })
        req.once('response', resolve)
        req.once('upgrade', () => reject(new Error('upgraded')))
        req.once('error', reject)
        req.end()
      })
      res.resume()

      expect(res.statusCode).toBe(400)
      expect(res.headers['keyway-error']).toBe('ERR_BAD_REQUEST')
      expect(echo.connections.length).toBe(before)
    })

    it('closes with the reset code when the origin resets the connection', async () => {
      const ws = connect('reset.app.test')
      const result = collect(ws)
      await once(ws, 'open')

      ws.send(Buffer.from('boom'))
      const seen = await result

      expect(seen.closeCode).toBe(TcpCloseCode.resetBase + ResetCode.connect)
      expect(seen.eofSeen).toBe(false)
    })

    it('resets the origin connection when the client drops', async () => {
      const before = echo.connections.length
      const ws = connect('ssh.app.test')
      await once(ws, 'open')
      const connection = await echo.waitForConnection(before)

      ws.terminate()
      const closed = await connection.closed

      expect(closed.hadError).toBe(true)
    })

    it('closes with 1002 on a text message other than eof', async () => {
      const ws = connect('ssh.app.test')
      const result = collect(ws)
      await once(ws, 'open')

      ws.send('hello')
      const seen = await result

      expect(seen.closeCode).toBe(TcpCloseCode.protocolError)
    })
  })

  describe('limits', () => {
    const startBridgeServer = async (
      bridge: TcpBridge,
      ended: TcpSessionSummary[],
      sessionLimits?: TcpSessionLimits,
    ) => {
      const server = http.createServer()
      server.on('upgrade', (req: http.IncomingMessage, socket, rest: Buffer) => {
        const record = new RequestRecord('upgrade', 'GET', '/', '127.0.0.1')
        record.host = 'ssh.app.test'
        forwardTcpUpgrade({
          record,
          req,
          socket,
          rest,
          tunnel: 'app',
          registry: h.relay.registry,
          bridge,
          log: h.relayLog.logger,
          ...(sessionLimits === undefined ? {} : { sessionLimits }),
          onEnd: (summary) => ended.push(summary),
        })
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      return server
    }

    it('closes a session at its maximum duration with 4101', async () => {
      const ended: TcpSessionSummary[] = []
      const server = await startBridgeServer(new TcpBridge(), ended, { maxSessionMs: 300 })
      const ws = connect('ssh.app.test', (server.address() as AddressInfo).port)
      const result = collect(ws)
      await once(ws, 'open')
      // Bytes keep flowing, so only the maximum duration can end the session.
      const ticker = setInterval(() => ws.send(Buffer.from('tick')), 20)

      const seen = await result
      clearInterval(ticker)
      server.close()

      expect(seen.closeCode).toBe(TcpCloseCode.maxDuration)
      await waitFor(() => ended.length === 1)
      expect(ended[0]).toMatchObject({ status: 101, outcome: 'reset', closeCode: 4101 })
    })

    it('closes with 1009 on a message above the size limit', async () => {
      const ended: TcpSessionSummary[] = []
      const bridge = new TcpBridge({ maxMessageBytes: 64 * 1024 })
      const server = await startBridgeServer(bridge, ended)
      const ws = connect('ssh.app.test', (server.address() as AddressInfo).port)
      const result = collect(ws)
      await once(ws, 'open')

      ws.send(Buffer.alloc(64 * 1024 + 1))
      const seen = await result
      server.close()

      expect(seen.closeCode).toBe(TcpCloseCode.tooBig)
      await waitFor(() => ended.length === 1)
      expect(ended[0]).toMatchObject({ outcome: 'reset', bytesIn: 0 })
    })

    it('closes every open session with 1001 on closeAll', async () => {
      const ended: TcpSessionSummary[] = []
      const bridge = new TcpBridge()
      const server = await startBridgeServer(bridge, ended)
      const ws = connect('ssh.app.test', (server.address() as AddressInfo).port)
      const result = collect(ws)
      await once(ws, 'open')
      await waitFor(() => bridge.activeSessions === 1)

      bridge.closeAll()
      const seen = await result
      server.close()

      expect(seen.closeCode).toBe(TcpCloseCode.goingAway)
      await waitFor(() => bridge.activeSessions === 0)
    })

    it('closes an idle session with 4100 and reports it', async () => {
      const ended: TcpSessionSummary[] = []
      const server = await startBridgeServer(new TcpBridge({ idleTimeoutMs: 300 }), ended)
      const ws = connect('ssh.app.test', (server.address() as AddressInfo).port)
      const result = collect(ws)
      await once(ws, 'open')

      const seen = await result
      server.close()

      expect(seen.closeCode).toBe(TcpCloseCode.idleTimeout)
      await waitFor(() => ended.length === 1)
      expect(ended[0]).toMatchObject({ status: 101, outcome: 'reset', closeCode: 4100 })
    })
  })
})
