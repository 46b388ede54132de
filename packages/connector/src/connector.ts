import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import { Backoff, type BackoffOptions } from './backoff.js'
import { systemClock, type Clock, type TimerHandle } from './clock.js'
import type { ConnectorConfig } from './config.js'
import { LogField } from './log-fields.js'
import { ConnectorMetrics } from './metrics.js'
import { startMetricsServer, type MetricsServer } from './metrics-server.js'
import { OriginPool } from './origin-pool.js'
import { StreamHandler } from './stream-handler.js'
import { checkToken, tunnelNameOfToken } from './token.js'
import { TunnelConnection, type ConnectionEnd } from './tunnel-connection.js'

/** Options for {@link Connector}. */
export interface ConnectorOptions {
  /** A validated config (see `loadConnectorConfig`). */
  config: ConnectorConfig
  /** The tunnel token, `keyway1.<tunnel>.<secret>`. Never logged. */
  token: string
  /** Root logger; the connector logs through children of it. */
  logger: Logger
  /** Time source for reconnect and heartbeat timers; the real clock when omitted. */
  clock?: Clock
  /** Reconnect backoff; base 250 ms, cap 5 s, reset after 10 s up when omitted. */
  backoff?: Partial<BackoffOptions>
}

/** Identifies one connection in the connector's events. */
export interface ConnectionInfo {
  connIndex: number
  relay: string
}

/** Identifies a lost connection and why it ended. */
export interface DisconnectInfo extends ConnectionInfo {
  reason: string
}

interface Slot {
  readonly index: number
  readonly url: string
  readonly backoff: Backoff
  connection: TunnelConnection | undefined
  retry: TimerHandle | undefined
}

/**
 * Keeps `haConnections` tunnel connections to the relays, connection `i` dialling
 * `relays[i % relays.length]`, redialling each lost one with exponential backoff and full
 * jitter. Events: `'connected'` (ConnectionInfo) when a WebSocket opens, `'ready'`
 * (ConnectionInfo) when the relay registers it, `'disconnected'` (DisconnectInfo) when an
 * open one is lost.
 */
export class Connector extends EventEmitter {
  readonly connectorId: string
  /** The tunnel named by the token, for logs; undefined for a token of unknown form. */
  readonly tunnelName: string | undefined
  readonly metrics = new ConnectorMetrics()
  private readonly config: ConnectorConfig
  private readonly token: string
  private readonly clock: Clock
  private readonly log: Logger
  private readonly pool = new OriginPool()
  private readonly handler: StreamHandler
  private readonly slots: Slot[]
  private metricsServer: MetricsServer | undefined
  private started = false
  private draining = false
  private drained: Promise<void> | undefined

  constructor(options: ConnectorOptions) {
    super()
    this.token = checkToken(options.token)
    this.config = options.config
    this.clock = options.clock ?? systemClock
    this.connectorId = options.config.connectorId ?? randomUUID()
    this.tunnelName = tunnelNameOfToken(this.token)
    this.log = options.logger.child({
      [LogField.tunnelId]: this.tunnelName,
      [LogField.connectorId]: this.connectorId,
    })
    this.handler = new StreamHandler({
      rules: options.config.ingress,
      pool: this.pool,
      metrics: this.metrics,
      connectorId: this.connectorId,
    })
    const backoff = options.backoff ?? {}
    const { relays, haConnections } = options.config
    if (relays.length === 0) throw new TypeError('"config.relays" must list at least one URL')
    this.slots = Array.from({ length: haConnections }, (_, index) => ({
      index,
      url: relays[index % relays.length] as string,
      backoff: new Backoff(this.clock, backoff),
      connection: undefined,
      retry: undefined,
    }))
  }

  /** Connections the relay has registered and that are not draining. */
  get readyConnections(): number {
    if (this.draining) return 0
    return this.slots.filter((slot) => slot.connection?.state === 'registered').length
  }

  /** Streams being served across all connections. */
  get activeStreams(): number {
    return this.slots.reduce((sum, slot) => sum + (slot.connection?.activeStreams ?? 0), 0)
  }

  /** Where the metrics server listens, once started (when `metrics` is configured). */
  get metricsAddress(): { host: string; port: number } | undefined {
    return this.metricsServer?.address
  }

  /**
   * Starts the metrics server (when configured), then dials every connection. Resolves
   * once dialling has begun; watch `'ready'` or `readyConnections` for registration.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('connector already started')
    this.started = true
    const { metrics } = this.config
    if (metrics !== undefined) {
      this.metricsServer = await startMetricsServer({
        host: metrics.host,
        port: metrics.port,
        metrics: this.metrics,
        logger: this.log,
        readiness: () => ({
          readyConnections: this.readyConnections,
          connectorId: this.connectorId,
        }),
      })
    }
    if (this.draining) return
    this.log.info(
      { relays: this.config.relays, haConnections: this.config.haConnections },
      'connector starting',
    )
    for (const slot of this.slots) this.dial(slot)
  }

  /**
   * Drains: tells the relay on every connection to open no new streams, waits for the
   * streams under way to finish for up to `gracePeriodMs`, then closes. No reconnects
   * happen while draining. Calling it again returns the same promise.
   */
  drain(): Promise<void> {
    this.drained ??= this.runDrain()
    return this.drained
  }

  /** Stops at once: streams under way are reset and every connection closed. */
  async stop(): Promise<void> {
    this.draining = true
    for (const slot of this.slots) {
      this.cancelRetry(slot)
      slot.connection?.destroy('connector stopped')
    }
    await this.shutDown()
  }

  private async runDrain(): Promise<void> {
    this.draining = true
    const live = this.slots.flatMap((slot) => {
      this.cancelRetry(slot)
      const connection = slot.connection
      if (connection === undefined || connection.state === 'closed') return []
      if (connection.state === 'dialing') {
        connection.destroy('connector draining')
        return []
      }
      return [connection]
    })
    this.log.info(
      { activeStreams: this.activeStreams, gracePeriodMs: this.config.gracePeriodMs },
      'connector draining',
    )
    for (const connection of live) connection.goAway()

    const finishedInTime = await this.waitForIdle(live)
    if (!finishedInTime) {
      this.log.warn({ activeStreams: this.activeStreams }, 'grace period over; resetting streams')
    }
    await Promise.all(
      live.map((connection) =>
        finishedInTime ? connection.close() : connection.destroy('grace period over'),
      ),
    )
    await this.shutDown()
    this.log.info('connector drained')
  }

  private waitForIdle(connections: TunnelConnection[]): Promise<boolean> {
    return new Promise((resolve) => {
      const busy = () => connections.some((c) => c.state !== 'closed' && c.activeStreams > 0)
      if (!busy()) {
        resolve(true)
        return
      }
      const check = () => {
        if (busy()) return
        done(true)
      }
      const timer = this.clock.setTimeout(() => done(false), this.config.gracePeriodMs)
      const done = (idle: boolean) => {
        this.clock.clearTimeout(timer)
        for (const connection of connections) {
          connection.off('idle', check)
          connection.off('close', check)
        }
        resolve(idle)
      }
      for (const connection of connections) {
        connection.on('idle', check)
        connection.on('close', check)
      }
    })
  }

  private async shutDown(): Promise<void> {
    this.pool.close()
    const server = this.metricsServer
    this.metricsServer = undefined
    await server?.close()
  }

  private dial(slot: Slot): void {
    if (this.draining) return
    const info: ConnectionInfo = { connIndex: slot.index, relay: slot.url }
    const connection = new TunnelConnection({
      url: slot.url,
      index: slot.index,
      token: this.token,
      connectorId: this.connectorId,
      dialTimeoutMs: this.config.dialTimeoutMs,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.config.heartbeatTimeoutMs,
      handler: this.handler,
      clock: this.clock,
      log: this.log.child({ [LogField.connIndex]: slot.index }),
    })
    slot.connection = connection
    connection.once('open', () => {
      this.metrics.dials.inc({ outcome: 'connected' })
      this.updateGauges()
      this.emit('connected', info)
    })
    connection.once('registered', () => {
      this.updateGauges()
      this.emit('ready', info)
    })
    connection.once('close', (end: ConnectionEnd) => this.handleClose(slot, info, end))
    this.metrics.dials.inc({ outcome: 'attempted' })
    connection.dial()
  }

  private handleClose(slot: Slot, info: ConnectionInfo, end: ConnectionEnd): void {
    this.updateGauges()
    if (end.wasOpen) {
      this.log.info({ [LogField.connIndex]: slot.index, reason: end.reason }, 'tunnel disconnected')
      this.emit('disconnected', { ...info, reason: end.reason } satisfies DisconnectInfo)
    } else {
      this.metrics.dials.inc({ outcome: 'failed' })
    }
    if (this.draining) return

    slot.backoff.connectionEnded(end.upMs)
    const delayMs = slot.backoff.nextDelayMs()
    this.log.info(
      {
        [LogField.connIndex]: slot.index,
        [LogField.delayMs]: delayMs,
        attempt: slot.backoff.attempts,
      },
      'reconnecting',
    )
    slot.retry = this.clock.setTimeout(() => {
      slot.retry = undefined
      this.dial(slot)
    }, delayMs)
  }

  private cancelRetry(slot: Slot): void {
    if (slot.retry === undefined) return
    this.clock.clearTimeout(slot.retry)
    slot.retry = undefined
  }

  private updateGauges(): void {
    const states = this.slots.map((slot) => slot.connection?.state)
    const open = states.filter((state) => state === 'open' || state === 'registered').length
    this.metrics.connections.set({ state: 'connected' }, open)
    this.metrics.connections.set({ state: 'registered' }, this.readyConnections)
  }
}
