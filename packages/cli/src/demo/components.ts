import { Connector, createConnectorLogger, loadConnectorConfig } from '@keyway/connector'
import { createRelayLogger, loadRelayConfig, startRelay, TunnelTokens } from '@keyway/relay'
import { startDemoOrigin } from '@keyway/testkit/demo-origin'

import { openAccessGate } from '../access-gate.js'
import { CliError, CliErrorCode } from '../errors.js'
import type { LogLevel } from '../options.js'
import { freeLoopbackPort, isAddressInUse, isLoopbackPortFree } from './free-port.js'
import { demoIdentity, startProviderComponent, type DemoProviderComponent } from './identity.js'
import {
  demoTunnel,
  writeDemoConnectorConfig,
  writeDemoRelayConfig,
  writeDemoToken,
  type DemoWorkspace,
} from './workspace.js'

/** One thing the demo started; stopped in the reverse order of starting. */
export interface DemoComponent {
  readonly name: string
  stop(): Promise<void>
}

/** The demo web app behind the tunnel. */
export interface DemoOriginComponent extends DemoComponent {
  readonly url: string
}

/** The relay, with the ports it got. */
export interface DemoRelayComponent extends DemoComponent {
  readonly publicPort: number
  /** The OpenID provider the relay logs users in with; stopped with the relay. */
  readonly provider: DemoProviderComponent
  readonly tunnelUrl: string
  readonly token: string
  /** Set when the requested public port was taken and another was used. */
  readonly portNote: string | undefined
  /** True once the relay routes the demo tunnel to a registered connection. */
  tunnelLive(): boolean
}

const listenAttempts = 3
const connectorReadyTimeoutMs = 15_000
const pollIntervalMs = 20

/** Starts the demo origin on a free loopback port. */
export async function startOriginComponent(): Promise<DemoOriginComponent> {
  const origin = await startDemoOrigin({ host: '127.0.0.1', port: 0 })
  return { name: 'demo origin', url: origin.url, stop: () => origin.close() }
}

/**
 * Starts the OpenID provider for the relay's public port, writes `relay.yaml` and starts the
 * relay with its access gate on `publicPort` (a free port instead when that one is taken),
 * then creates the demo tunnel's token.
 */
export async function startRelayComponent(
  workspace: DemoWorkspace,
  options: { publicPort: number; logLevel: LogLevel },
): Promise<DemoRelayComponent> {
  const logger = createRelayLogger({ level: options.logLevel })
  for (let attempt = 1; ; attempt++) {
    const { port: publicPort, note: portNote } = await choosePublicPort(options.publicPort)
    // The provider knows the relay's callback URL, so it is made for this port.
    const provider = await startProviderComponent(workspace, publicPort)
    const ports = { publicPort, tunnelPort: await freeLoopbackPort() }
    writeDemoRelayConfig(workspace, ports, { ...demoIdentity, issuer: provider.issuer })
    const config = await loadRelayConfig(workspace.relayConfig)
    const gate = await openAccessGate(config, logger).catch(async (err: unknown) => {
      await provider.stop()
      throw err
    })
    try {
      const relay = await startRelay({ config, logger, gate })
      const token = TunnelTokens.open(config.dataDir).tokenFor(demoTunnel.name)
      writeDemoToken(workspace, token)
      return {
        name: 'relay',
        publicPort: relay.publicAddress.port,
        provider,
        tunnelUrl: relay.tunnelUrl,
        token,
        portNote,
        tunnelLive: () => relay.registry.pick(demoTunnel.name) !== undefined,
        stop: async () => {
          try {
            await relay.drain(config.gracePeriodMs)
          } finally {
            await gate?.close()
            await provider.stop()
          }
        },
      }
    } catch (err) {
      await gate?.close()
      await provider.stop()
      // Another process may take a port between the check and the listen: choose again.
      if (!isAddressInUse(err) || attempt === listenAttempts) throw err
    }
  }
}

async function choosePublicPort(requested: number): Promise<{ port: number; note?: string }> {
  // The provider needs the callback URL before the relay listens, so port 0 is chosen here.
  if (requested === 0) return { port: await freeLoopbackPort() }
  if (await isLoopbackPortFree(requested)) return { port: requested }
  const port = await freeLoopbackPort()
  return { port, note: `port ${requested} is taken, so the relay listens on ${port} instead` }
}

/**
 * Writes `connector.yaml` and runs the real connector in this process: it dials the relay
 * over the tunnel endpoint like any other connector. Resolves once the relay routes the
 * tunnel to it.
 */
export async function startConnectorComponent(
  workspace: DemoWorkspace,
  relay: DemoRelayComponent,
  options: { originUrl: string; logLevel: LogLevel },
): Promise<DemoComponent> {
  const { tunnelUrl } = relay
  writeDemoConnectorConfig(workspace, { tunnelUrl, originUrl: options.originUrl })
  const config = loadConnectorConfig(workspace.connectorConfig)
  const logger = createConnectorLogger({ level: options.logLevel })
  const connector = new Connector({ config, token: relay.token, logger })
  await connector.start()
  try {
    await waitUntil(relay.tunnelLive, connectorReadyTimeoutMs)
  } catch (err) {
    await connector.stop()
    throw err
  }
  return { name: 'connector', stop: () => connector.drain() }
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) {
      throw new CliError(
        CliErrorCode.demoFailed,
        `the connector did not register with the relay within ${timeoutMs} ms; run with ` +
          '"--log-level info" to see why',
      )
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs))
  }
}
