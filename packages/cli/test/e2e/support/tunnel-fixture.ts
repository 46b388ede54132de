import type { RequestListener } from 'node:http'

import { startHttpOrigin, tempDir, type HttpOrigin, type TempDir } from '@keyway/testkit'

import {
  issueToken,
  startConnector,
  startRelay,
  type ConnectorProcess,
  type IngressSpec,
  type IssuedToken,
  type RelayProcess,
  type TunnelSpec,
} from './stack.js'

/** A relay, a token, one connector and one origin, all running. */
export interface TunnelFixture {
  readonly dir: TempDir
  readonly origin: HttpOrigin
  readonly relay: RelayProcess
  readonly token: IssuedToken
  readonly connector: ConnectorProcess
}

/** What {@link startTunnelFixture} builds. */
export interface TunnelFixtureOptions {
  /** Default one tunnel `web` with `web.localhost`. */
  readonly tunnels?: readonly TunnelSpec[]
  /** The tunnel the connector serves. Default the first. */
  readonly tunnel?: string
  /** The origin's handler; the testkit echo origin's routes when omitted. */
  readonly handler?: RequestListener
  /** Rules in front of the catch-all that sends everything to the origin. */
  readonly rules?: (origin: HttpOrigin) => readonly IngressSpec[]
  readonly haConnections?: number
  readonly relayExtra?: Readonly<Record<string, unknown>>
  readonly gracePeriodMs?: number
}

/**
 * Starts an origin and a relay together, issues the tunnel's token with `keyway tunnel
 * token`, then starts a connector and waits until all its connections are registered.
 */
export async function startTunnelFixture(
  options: TunnelFixtureOptions = {},
): Promise<TunnelFixture> {
  const dir = tempDir('keyway-e2e-')
  const tunnels = options.tunnels ?? [{ name: 'web', hostnames: ['web.localhost'] }]
  const [origin, relay] = await Promise.all([
    startHttpOrigin(options.handler ? { handler: options.handler } : {}),
    startRelay({ dir: dir.path, tunnels, extra: options.relayExtra }),
  ])
  const token = await issueToken(relay, options.tunnel ?? (tunnels[0] as TunnelSpec).name)
  const connector = await startConnector({
    dir: dir.path,
    relays: [relay.tunnelUrl],
    tokenFile: token.file,
    haConnections: options.haConnections ?? 1,
    gracePeriodMs: options.gracePeriodMs,
    ingress: [...(options.rules?.(origin) ?? []), { service: origin.url }],
  })
  return { dir, origin, relay, token, connector }
}
