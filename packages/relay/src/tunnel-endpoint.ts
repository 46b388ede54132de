import { randomUUID } from 'node:crypto'
import type * as http from 'node:http'
import type { Duplex } from 'node:stream'
import {
  DialHeader,
  H2Mux,
  PROTOCOL_VERSION,
  StreamKind,
  TUNNEL_PATH,
  TUNNEL_SUBPROTOCOL,
  webSocketTransport,
} from '@keyway/protocol'
import type { Logger } from 'pino'
import { WebSocketServer, type WebSocket } from 'ws'
import type { RelayLimits } from './config.js'
import { refuseUpgrade } from './dial-refusal.js'
import { RelayAnswerCode } from './errors.js'
import { LogField } from './log-fields.js'
import type { TunnelLink, TunnelRegistry } from './tunnel-registry.js'
import type { TunnelTokens } from './tunnel-tokens.js'

/** What the tunnel endpoint needs. */
export interface TunnelEndpointOptions {
  readonly relayId: string
  readonly tokens: TunnelTokens
  readonly registry: TunnelRegistry
  readonly limits: RelayLimits
  readonly log: Logger
}

/**
 * The endpoint connectors dial: checks each dial (path, subprotocol, protocol version,
 * token) before the WebSocket upgrade, runs the HTTP/2 client side of the tunnel session on
 * the accepted socket, registers the connection and keeps it alive with pings.
 */
export class TunnelEndpoint {
  private readonly options: TunnelEndpointOptions
  private readonly wss: WebSocketServer
  private readonly sessions = new Set<H2Mux>()
  private accepting = true

  constructor(options: TunnelEndpointOptions) {
    this.options = options
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: options.limits.maxTunnelMessageBytes,
      handleProtocols: (offered) => (offered.has(TUNNEL_SUBPROTOCOL) ? TUNNEL_SUBPROTOCOL : false),
    })
  }

  /** Tunnel sessions open now (registered or not). */
  get sessionCount(): number {
    return this.sessions.size
  }

  /** Serves dials on `server`: its `upgrade` and `request` events. */
  attach(server: http.Server): void {
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) =>
      this.handleDial(req, socket, head),
    )
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      const body = `426 keyway: this is the tunnel endpoint; connectors dial ${TUNNEL_PATH} ` +
        `with a WebSocket (${RelayAnswerCode.notTunnel})\n`
      res.writeHead(426, { 'content-type': 'text/plain; charset=utf-8', 'keyway-error':
        RelayAnswerCode.notTunnel, upgrade: 'websocket', connection: 'Upgrade' })
      res.end(body)
    })
  }

  /** Refuses new dials from now on (503); sessions already open carry on. */
  stopAccepting(): void {
    this.accepting = false
  }

  /** Closes every session once its open streams finish. */
  async closeGracefully(): Promise<void> {
    await Promise.all([...this.sessions].map((mux) => mux.close()))
  }

  /** Closes every session at once; open streams are reset. */
  destroy(): void {
    for (const mux of this.sessions) mux.destroy()
    for (const client of this.wss.clients) client.terminate()
    this.wss.close()
  }

  private handleDial(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {})
    const { log, tokens, registry, limits } = this.options
    const remote = req.socket.remoteAddress
    const path = (req.url ?? '').split('?')[0]
    const refuse = (status: number, code: RelayAnswerCode, message: string, tunnel?: string) => {
      const fields = { [LogField.status]: status, [LogField.code]: code, remote, tunnel }
      if (status === 401) log.warn(fields, 'tunnel dial refused')
      else log.info(fields, 'tunnel dial refused')
      refuseUpgrade(socket, status, code, message)
    }

    if (path !== TUNNEL_PATH) {
      return refuse(404, RelayAnswerCode.notTunnel, `the tunnel endpoint is ${TUNNEL_PATH}`)
    }
    if (!this.accepting) {
      return refuse(503, RelayAnswerCode.draining, 'the relay is shutting down; dial another')
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',')
    const version = req.headers[DialHeader.protocolVersion]
    if (!offered.map((p) => p.trim()).includes(TUNNEL_SUBPROTOCOL) ||
      version !== String(PROTOCOL_VERSION)) {
      return refuse(400, RelayAnswerCode.protocolVersion, `this relay speaks tunnel protocol ` +
        `${PROTOCOL_VERSION} (subprotocol ${TUNNEL_SUBPROTOCOL}); upgrade the connector`)
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''))
    if (bearer?.[1] === undefined) {
      return refuse(401, RelayAnswerCode.tokenMissing,
        'the dial carries no tunnel token; run the connector with --token-file')
    }
    const claimed = /^keyway1\.([A-Za-z0-9_-]{1,128})\./.exec(bearer[1])?.[1]
    const tunnel = tokens.verify(bearer[1])
    if (tunnel === undefined) {
      return refuse(401, RelayAnswerCode.tokenInvalid, 'the tunnel token is not valid (it was ' +
        'rotated, or its tunnel is no longer configured); get a new one with ' +
        '"keyway tunnel token NAME"', claimed)
    }
    if (registry.list(tunnel).length >= limits.maxConnectionsPerTunnel) {
      return refuse(503, RelayAnswerCode.tooManyConnections, `tunnel "${tunnel}" already has ` +
        `${limits.maxConnectionsPerTunnel} connections, the limit`, tunnel)
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, tunnel))
  }

  private accept(ws: WebSocket, req: http.IncomingMessage, tunnel: string): void {
    const { relayId, limits, registry } = this.options
    const connectionId = randomUUID()
    const rawId = String(req.headers[DialHeader.connectorId] ?? '')
    const connectorId = /^[A-Za-z0-9._-]{1,128}$/.test(rawId) ? rawId : 'unknown'
    const index = Number(req.headers[DialHeader.connIndex])
    const connIndex = Number.isInteger(index) && index >= 0 ? index : undefined
    const log = this.options.log.child({
      [LogField.tunnelId]: tunnel,
      [LogField.connectorId]: connectorId,
      [LogField.connectionId]: connectionId,
      [LogField.connIndex]: connIndex,
    })
    const mux = H2Mux.opener(webSocketTransport(ws))
    this.sessions.add(mux)
    let link: TunnelLink | undefined
    let pinger: NodeJS.Timeout | undefined

    mux.on('sessionError', (err: unknown) => {
      log.warn({ [LogField.err]: err }, 'tunnel session error')
    })
    mux.on('goaway', () => log.info('connector draining: no new streams on this connection'))
    mux.once('close', () => {
      clearTimeout(pinger)
      this.sessions.delete(mux)
      ws.terminate()
      if (link !== undefined) registry.remove(link)
      log.info({ registered: link !== undefined }, 'tunnel disconnected')
    })
    log.info({ remote: req.socket.remoteAddress }, 'tunnel connected')

    const register = mux.open(
      { kind: StreamKind.register, reqId: connectionId, host: '', tunnel, connectionId, relayId },
      { hasBody: false },
    )
    register.data.resume()
    const deadline = setTimeout(() => {
      log.warn({ timeoutMs: limits.registerTimeoutMs }, 'connector did not answer registration')
      mux.destroy()
    }, limits.registerTimeoutMs)
    register.reply.then(
      (reply) => {
        clearTimeout(deadline)
        if (reply.status !== 200 || mux.closed) {
          log.warn({ [LogField.status]: reply.status }, 'connector refused registration')
          mux.destroy()
          return
        }
        link = { connectionId, tunnel, connectorId, connIndex, mux, registeredAt: Date.now() }
        registry.add(link)
        log.info('tunnel registered')
        pinger = this.keepAlive(mux, log)
      },
      (err: unknown) => {
        clearTimeout(deadline)
        log.warn({ [LogField.err]: err }, 'registration failed')
        mux.destroy()
      },
    )
  }

  private keepAlive(mux: H2Mux, log: Logger): NodeJS.Timeout {
    const { tunnelPingIntervalMs, tunnelPingTimeoutMs } = this.options.limits
    const timer: NodeJS.Timeout = setInterval(() => {
      if (mux.closed) return void clearInterval(timer)
      const deadline = setTimeout(() => {
        log.warn({ timeoutMs: tunnelPingTimeoutMs }, 'tunnel ping timed out; closing')
        mux.destroy()
      }, tunnelPingTimeoutMs)
      mux.ping().then(
        () => clearTimeout(deadline),
        () => clearTimeout(deadline),
      )
    }, tunnelPingIntervalMs)
    timer.unref()
    return timer
  }
}
