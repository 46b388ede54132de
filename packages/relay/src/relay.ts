import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import type { AddressInfo } from 'node:net'
import { TUNNEL_PATH } from '@keyway/protocol'
import type { Logger } from 'pino'
import type { ListenAddress, RelayConfig, TlsFiles } from './config.js'
import { RelayError, RelayErrorCode } from './errors.js'
import type { RequestGate } from './gate.js'
import { LogField } from './log-fields.js'
import { PublicFront } from './public-front.js'
import { HostRouter } from './router.js'
import { TunnelEndpoint } from './tunnel-endpoint.js'
import { InMemoryTunnelRegistry, type TunnelRegistry } from './tunnel-registry.js'
import { TunnelTokens } from './tunnel-tokens.js'

/** Options for {@link startRelay}. */
export interface RelayOptions {
  /** A validated config (see `loadRelayConfig`). */
  readonly config: RelayConfig
  /** Root logger; the relay logs through children of it. */
  readonly logger: Logger
  /** The access layer; without one every route is public (a warning is logged). */
  readonly gate?: RequestGate
  /** Where tunnel connections are recorded; an in-memory registry when omitted. */
  readonly registry?: TunnelRegistry
}

/** A running relay. */
export interface Relay {
  readonly relayId: string
  /** The public listener's bound address. */
  readonly publicAddress: ListenAddress
  /** The tunnel endpoint's bound address. */
  readonly tunnelAddress: ListenAddress
  /** `http://HOST:PORT` (or `https://`) of the public listener. */
  readonly publicUrl: string
  /** `ws://HOST:PORT/_keyway/tunnel` (or `wss://`) that connectors dial. */
  readonly tunnelUrl: string
  readonly registry: TunnelRegistry
  /** Stops accepting, lets requests under way finish for up to the grace period, closes. */
  drain(gracePeriodMs?: number): Promise<void>
  /** Closes at once: requests under way are cut and tunnel connections dropped. */
  close(): Promise<void>
}

/**
 * Starts the relay: the tunnel endpoint on `tunnelListen` and the public listener on
 * `listen`. Resolves once both listen; logs `relay listening` with both URLs.
 *
 * @throws RelayError when a TLS file cannot be read or an address cannot be bound.
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const { config } = options
  const { limits } = config
  const relayId = randomUUID()
  const log = options.logger.child({ [LogField.relayId]: relayId })
  const tokens = TunnelTokens.open(config.dataDir, {
    tunnels: config.tunnels.map((tunnel) => tunnel.name),
  })
  const registry =
    options.registry ??
    new InMemoryTunnelRegistry({ maxStreamsPerConnection: limits.maxStreamsPerConnection })
  const endpoint = new TunnelEndpoint({ relayId, tokens, registry, limits, log })
  const front = new PublicFront({
    router: new HostRouter(config.tunnels),
    registry,
    gate: options.gate,
    proto: config.tls === undefined ? 'http' : 'https',
    responseTimeoutMs: limits.responseTimeoutMs,
    log,
  })

  const serverOptions: http.ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  }
  const publicServer = createServer(serverOptions, config.tls, 'tls')
  publicServer.maxConnections = limits.maxPublicConnections
  front.attach(publicServer)
  const tunnelServer = createServer(
    { maxHeaderSize: limits.maxHeaderBytes, headersTimeout: limits.headersTimeoutMs },
    config.tunnelTls,
    'tunnelTls',
  )
  endpoint.attach(tunnelServer)

  let publicAddress: ListenAddress
  let tunnelAddress: ListenAddress
  try {
    tunnelAddress = await listen(tunnelServer, config.tunnelListen, 'tunnelListen')
    publicAddress = await listen(publicServer, config.listen, 'listen')
  } catch (err) {
    tunnelServer.close()
    publicServer.close()
    throw err
  }
  const publicUrl = `${config.tls ? 'https' : 'http'}://${urlHost(publicAddress)}`
  const tunnelUrl = `${config.tunnelTls ? 'wss' : 'ws'}://${urlHost(tunnelAddress)}${TUNNEL_PATH}`
  log.info(
    {
      [LogField.publicUrl]: publicUrl,
      [LogField.tunnelUrl]: tunnelUrl,
      tunnels: config.tunnels.map((tunnel) => tunnel.name),
    },
    'relay listening',
  )
  if (options.gate === undefined) {
    log.warn('no access gate configured: every route is public')
  }

  let draining: Promise<void> | undefined
  let closed: Promise<void> | undefined
  const closeNow = () => (closed ??= closeAll())
  const closeAll = async () => {
    endpoint.stopAccepting()
    endpoint.destroy()
    publicServer.closeAllConnections()
    tunnelServer.closeAllConnections()
    await Promise.all([closeServer(publicServer), closeServer(tunnelServer)])
  }
  const runDrain = async (gracePeriodMs: number) => {
    log.info({ activeRequests: front.activeRequests, gracePeriodMs }, 'relay draining')
    endpoint.stopAccepting()
    front.startDraining()
    const publicClosed = closeServer(publicServer)
    const tunnelClosed = closeServer(tunnelServer)
    publicServer.closeIdleConnections()
    const sweeper = setInterval(() => publicServer.closeIdleConnections(), 100)
    let timer: NodeJS.Timeout | undefined
    const finished = await Promise.race([
      front.whenIdle().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), gracePeriodMs)
      }),
    ])
    clearInterval(sweeper)
    clearTimeout(timer)
    if (!finished) {
      log.warn({ activeRequests: front.activeRequests }, 'grace period over; cutting requests')
    }
    // Sessions close with GOAWAY once their last stream ends; a stuck one is cut after 1 s.
    await Promise.race([endpoint.closeGracefully(), delay(1_000)])
    await closeNow()
    await Promise.all([publicClosed, tunnelClosed])
    log.info('relay drained')
  }

  return {
    relayId,
    publicAddress,
    tunnelAddress,
    publicUrl,
    tunnelUrl,
    registry,
    drain(gracePeriodMs = config.gracePeriodMs) {
      draining ??= runDrain(gracePeriodMs)
      return draining
    },
    close() {
      if (closed === undefined) void closeNow().then(() => log.info('relay closed'))
      return closeNow()
    },
  }
}

function createServer(
  options: http.ServerOptions,
  tls: TlsFiles | undefined,
  key: string,
): http.Server {
  if (tls === undefined) return http.createServer(options)
  let cert: Buffer
  let privateKey: Buffer
  try {
    cert = readFileSync(tls.cert)
    privateKey = readFileSync(tls.key)
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err)
    throw new RelayError(RelayErrorCode.config, `"${key}" file cannot be read (${reason}); ` +
      `check "${key}.cert" (${tls.cert}) and "${key}.key" (${tls.key})`, { cause: err })
  }
  try {
    return https.createServer({ ...options, cert, key: privateKey }) as unknown as http.Server
  } catch (err) {
    // Unreadable PEM, a key that does not match the certificate, an unsupported key type.
    throw new RelayError(RelayErrorCode.config, `"${key}" files are not a usable certificate ` +
      `and key (${(err as Error).message}); "${key}.cert" (${tls.cert}) must hold the PEM ` +
      `certificate chain and "${key}.key" (${tls.key}) its PEM private key`, { cause: err })
  }
}

function listen(server: http.Server, address: ListenAddress, key: string): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new RelayError(RelayErrorCode.config, `cannot listen on "${key}" ` +
        `${address.host}:${address.port} (${err.code ?? err.message}); choose another address`,
        { cause: err }))
    }
    server.once('error', onError)
    server.listen(address.port, address.host, () => {
      server.off('error', onError)
      const bound = server.address() as AddressInfo
      resolve(Object.freeze({ host: address.host, port: bound.port }))
    })
  })
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
  })
}

function urlHost(address: ListenAddress): string {
  const host =
    address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host
  return host.includes(':') ? `[${host}]:${address.port}` : `${host}:${address.port}`
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
