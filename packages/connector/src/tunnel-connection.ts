import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import {
  DIAL_ERROR_HEADER,
  DialHeader,
  H2Mux,
  MAX_TUNNEL_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  TUNNEL_SUBPROTOCOL,
  TunnelCloseCode,
  webSocketTransport,
  type IncomingStream,
  type StreamHead,
} from '@keyway/protocol'
import type { Logger } from 'pino'
import { WebSocket } from 'ws'
import type { Clock, TimerHandle } from './clock.js'
import { LogField } from './log-fields.js'
import type { StreamHandler } from './stream-handler.js'
import { CONNECTOR_VERSION } from './version.js'

/** Settings of one tunnel connection. */
export interface TunnelConnectionOptions {
  readonly url: string
  readonly index: number
  readonly token: string
  readonly connectorId: string
  readonly dialTimeoutMs: number
  readonly heartbeatIntervalMs: number
  readonly heartbeatTimeoutMs: number
  readonly handler: StreamHandler
  readonly clock: Clock
  readonly log: Logger
}

/** Where a connection is in its life. */
export type ConnectionState = 'dialing' | 'open' | 'registered' | 'closed'

/** Why a connection ended, as reported by its `'close'` event. */
export interface ConnectionEnd {
  reason: string
  /** How long it was open (0 when the dial failed). */
  upMs: number
  wasOpen: boolean
}

/**
 * One WebSocket to a relay carrying an HTTP/2 session on which the relay opens streams.
 * Events: `'open'`, `'registered'` (StreamHead), `'idle'` (no stream left), and `'close'`
 * (ConnectionEnd) exactly once.
 */
export class TunnelConnection extends EventEmitter {
  readonly options: TunnelConnectionOptions
  private readonly log: Logger
  private ws: WebSocket | undefined
  private mux: H2Mux | undefined
  private stateValue: ConnectionState = 'dialing'
  private openedAt = 0
  private streams = 0
  private heartbeat: TimerHandle | undefined
  private failure: string | undefined
  /** Set once the relay answered the dial with a refusal, which is already logged. */
  private refused = false

  constructor(options: TunnelConnectionOptions) {
    super()
    this.options = options
    this.log = options.log
  }

  get state(): ConnectionState {
    return this.stateValue
  }

  /** Streams being served on this connection. */
  get activeStreams(): number {
    return this.streams
  }

  /** Dials the relay. The outcome arrives as events. */
  dial(): void {
    const { options } = this
    const ws = new WebSocket(options.url, TUNNEL_SUBPROTOCOL, {
      headers: {
        [DialHeader.authorization]: `Bearer ${options.token}`,
        [DialHeader.connectorId]: options.connectorId,
        [DialHeader.connIndex]: String(options.index),
        [DialHeader.protocolVersion]: String(PROTOCOL_VERSION),
        [DialHeader.version]: CONNECTOR_VERSION,
      },
      perMessageDeflate: false,
      maxPayload: MAX_TUNNEL_MESSAGE_BYTES,
      handshakeTimeout: options.dialTimeoutMs,
    })
    this.ws = ws
    ws.on('unexpected-response', (_req, res) => this.handleRefusal(res))
    ws.on('error', (err) => {
      this.failure ??= (err as NodeJS.ErrnoException).code ?? err.message
      // Terminating a refused dial makes ws report "closed before the connection was
      // established": the refusal was logged already, with its reason.
      if (this.refused) return
      if (this.stateValue === 'dialing') {
        this.log.warn({ [LogField.err]: err }, 'tunnel dial failed')
      } else {
        this.log.warn({ [LogField.err]: err }, 'tunnel connection error')
      }
    })
    ws.once('open', () => this.handleOpen(ws))
    ws.once('close', (code, reason) => this.handleWsClose(code, reason.toString()))
  }

  /** Tells the relay to open no new streams here; streams under way carry on. */
  goAway(): void {
    this.mux?.goAway()
  }

  /** Closes after the streams under way finish; resolves once closed. */
  close(): Promise<void> {
    if (this.stateValue === 'closed') return Promise.resolve()
    const closed = new Promise<void>((resolve) => this.once('close', () => resolve()))
    if (this.mux === undefined) {
      this.destroy('closed while dialing')
    } else {
      // Closing the session ends the transport, which closes the WebSocket with it.
      this.failure ??= 'closed by connector'
      void this.mux.close().then(() => this.finish('closed by connector'))
    }
    return closed
  }

  /** Closes at once; streams under way are reset. */
  destroy(reason = 'destroyed'): void {
    this.finish(reason)
  }

  private handleRefusal(res: IncomingMessage): void {
    const status = res.statusCode ?? 0
    const code = res.headers[DIAL_ERROR_HEADER]
    const fields = {
      [LogField.status]: status,
      [LogField.code]: code,
      [LogField.relay]: this.options.url,
    }
    res.resume()
    this.failure = `HTTP ${status}${typeof code === 'string' ? ` ${code}` : ''}`
    if (status === 401 || status === 403) this.log.error(fields, 'tunnel token rejected')
    else this.log.error(fields, 'relay refused the tunnel connection')
    this.refused = true
    this.ws?.terminate()
  }

  private handleOpen(ws: WebSocket): void {
    if (this.stateValue === 'closed') {
      ws.terminate()
      return
    }
    this.stateValue = 'open'
    this.openedAt = this.options.clock.now()
    const mux = H2Mux.acceptor(webSocketTransport(ws))
    this.mux = mux
    mux.on('stream', (stream: IncomingStream) => this.handleStream(stream))
    mux.on('badStream', (err: unknown) => {
      this.log.warn({ [LogField.err]: err }, 'relay opened a stream with a bad head')
    })
    mux.on('sessionError', (err: unknown) => {
      this.failure ??= (err as Error).message
      this.log.warn({ [LogField.err]: err }, 'tunnel session error')
    })
    mux.once('close', () => this.finish(this.failure ?? 'tunnel session closed'))
    this.log.info({ [LogField.relay]: this.options.url }, 'tunnel connected')
    this.emit('open')
    this.scheduleHeartbeat()
  }

  private handleStream(stream: IncomingStream): void {
    this.streams++
    stream.data.once('close', () => {
      this.streams--
      if (this.streams === 0) this.emit('idle')
    })
    this.options.handler.handle(stream, {
      log: this.log,
      onRegister: (head) => this.handleRegister(head),
    })
  }

  private handleRegister(head: StreamHead): void {
    if (this.stateValue !== 'open') return
    this.stateValue = 'registered'
    this.log.info({ connectionId: head.connectionId, relayId: head.relayId }, 'tunnel registered')
    this.emit('registered', head)
  }

  private handleWsClose(code: number, reason: string): void {
    if (code === TunnelCloseCode.revoked) {
      this.log.error({ [LogField.code]: code, reason }, 'tunnel token revoked by the relay')
    }
    this.finish(this.failure ?? `websocket closed (${code}${reason === '' ? '' : ` ${reason}`})`)
  }

  private scheduleHeartbeat(): void {
    const { clock, heartbeatIntervalMs, heartbeatTimeoutMs } = this.options
    this.heartbeat = clock.setTimeout(() => {
      const mux = this.mux
      if (mux === undefined || this.stateValue === 'closed') return
      let answered = false
      const deadline = clock.setTimeout(() => {
        if (!answered) this.fail('heartbeat timed out')
      }, heartbeatTimeoutMs)
      this.heartbeat = deadline
      mux.ping().then(
        () => {
          answered = true
          clock.clearTimeout(deadline)
          if (this.stateValue !== 'closed') this.scheduleHeartbeat()
        },
        (err: unknown) => {
          answered = true
          clock.clearTimeout(deadline)
          this.fail(`heartbeat failed: ${(err as Error).message}`)
        },
      )
    }, heartbeatIntervalMs)
  }

  private fail(reason: string): void {
    if (this.stateValue === 'closed') return
    this.log.warn({ reason }, 'tunnel connection lost')
    this.finish(reason)
  }

  private finish(reason: string): void {
    if (this.stateValue === 'closed') return
    const wasOpen = this.stateValue !== 'dialing'
    this.stateValue = 'closed'
    if (this.heartbeat !== undefined) this.options.clock.clearTimeout(this.heartbeat)
    this.mux?.destroy()
    this.ws?.terminate()
    const upMs = wasOpen ? this.options.clock.now() - this.openedAt : 0
    this.emit('close', { reason, upMs, wasOpen } satisfies ConnectionEnd)
  }
}
