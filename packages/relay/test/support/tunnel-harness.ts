import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import {
  Connector,
  createConnectorLogger,
  validateConnectorConfig,
} from '@keyway/connector'
import { startHttpOrigin, type HttpOrigin } from '@keyway/testkit'
import type { RequestGate } from '../../src/gate.js'
import type { RelayConfig } from '../../src/config.js'
import type { TunnelRegistry } from '../../src/tunnel-registry.js'
import { startRelay, type Relay } from '../../src/relay.js'
import { TunnelTokens } from '../../src/tunnel-tokens.js'
import { validateRelayConfig } from '../../src/validate-config.js'
import { waitFor } from './client.js'
import { captureLog, type CapturedLog } from './log-sink.js'

/** A relay, an origin and (optionally) a connector joined by a real tunnel, on loopback. */
export interface TunnelHarness {
  /** The running relay; a test that restarts it puts the new one here. */
  relay: Relay
  /** The config the relay was started with. */
  config: RelayConfig
  relayLog: CapturedLog
  origin: HttpOrigin
  dataDir: string
  tokens: TunnelTokens
  connectors: Connector[]
  /** Starts a connector for tunnel `app` and waits until one connection is registered. */
  startConnector(options?: {
    token?: string
    ingress?: unknown[]
    wait?: boolean
  }): Promise<Connector>
  close(): Promise<void>
}

/** What {@link startTunnel} sets up. */
export interface TunnelHarnessOptions {
  origin?: HttpOrigin
  gate?: RequestGate
  connector?: boolean
  limits?: Record<string, number>
  gracePeriodMs?: number
  /** Ingress rules of the default connector; everything to the origin when omitted. */
  ingress?: (origin: HttpOrigin) => unknown[]
  /** The relay's tunnel registry; its own in-memory one when omitted. */
  registry?: TunnelRegistry
}

/**
 * Starts an origin, a relay with tunnels `app` (app.test, *.app.test) and `idle`
 * (idle.test), and by default a connector for `app` whose ingress sends everything to the
 * origin.
 */
export async function startTunnel(options: TunnelHarnessOptions = {}): Promise<TunnelHarness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'keyway-relay-'))
  const origin = options.origin ?? (await startHttpOrigin())
  const relayLog = captureLog()
  const config = validateRelayConfig(
    {
      listen: '127.0.0.1:0',
      tunnelListen: '127.0.0.1:0',
      dataDir: path.join(dataDir, 'state'),
      tunnels: [
        { name: 'app', hostnames: ['app.test', '*.app.test'] },
        { name: 'idle', hostnames: ['idle.test'] },
      ],
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.gracePeriodMs === undefined ? {} : { gracePeriodMs: options.gracePeriodMs }),
    },
    path.join(dataDir, 'relay.yaml'),
  )
  const relay = await startRelay({
    config,
    logger: relayLog.logger,
    ...(options.gate === undefined ? {} : { gate: options.gate }),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
  })
  const tokens = TunnelTokens.open(config.dataDir)
  const connectors: Connector[] = []

  const harness: TunnelHarness = {
    relay,
    config,
    relayLog,
    origin,
    dataDir,
    tokens,
    connectors,
    async startConnector(settings = {}) {
      const connectorConfig = validateConnectorConfig(
        {
          relay: harness.relay.tunnelUrl,
          haConnections: 2,
          ingress: settings.ingress ?? [{ service: origin.url }],
        },
        'connector.yaml',
      )
      const connector = new Connector({
        config: connectorConfig,
        token: settings.token ?? tokens.tokenFor('app'),
        logger: createConnectorLogger({ level: 'silent' }),
        backoff: { baseMs: 50, capMs: 200 },
      })
      connectors.push(connector)
      const ready = once(connector, 'ready')
      await connector.start()
      if (settings.wait ?? true) {
        await ready
        // The connector is ready when it answered; the relay records it a moment later.
        await waitFor(() => harness.relay.registry.list('app').length >= connectors.length)
      }
      return connector
    },
    async close() {
      await Promise.all(connectors.map((connector) => connector.stop()))
      await harness.relay.close()
      await origin.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  if (options.connector ?? true) {
    await harness.startConnector(
      options.ingress === undefined ? {} : { ingress: options.ingress(origin) },
    )
  }
  return harness
}
