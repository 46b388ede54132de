import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** The tunnel the demo creates and the public names routed to it. */
export const demoTunnel = Object.freeze({
  name: 'demo',
  /** Served by the demo origin. */
  appHost: 'app.localhost',
  /** Served by the connector's built-in `hello_world` page. */
  helloHost: 'hello.localhost',
  /** The demo origin again, behind a login. */
  privateHost: 'private.localhost',
})

/** The temporary folder of one `keyway demo` run and the files in it. */
export interface DemoWorkspace {
  readonly dir: string
  readonly relayConfig: string
  readonly connectorConfig: string
  readonly tokenFile: string
  readonly clientSecretFile: string
  readonly dataDir: string
  /** Deletes the folder; safe to call more than once. Does nothing with `keep`. */
  remove(): Promise<void>
  /** The same, synchronously, for a forced exit. */
  removeNow(): void
}

/** Creates a fresh `keyway-demo-*` folder under the system temp dir. */
export function createDemoWorkspace(options: { keep?: boolean } = {}): DemoWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'keyway-demo-'))
  const keep = options.keep === true
  return {
    dir,
    relayConfig: join(dir, 'relay.yaml'),
    connectorConfig: join(dir, 'connector.yaml'),
    tokenFile: join(dir, `${demoTunnel.name}.token`),
    clientSecretFile: join(dir, 'oidc-client.secret'),
    dataDir: join(dir, 'relay-data'),
    remove: async () => {
      if (!keep) await rm(dir, { recursive: true, force: true })
    },
    removeNow: () => {
      if (!keep) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Writes `relay.yaml`: loopback listeners, the demo tunnel, and an access section with the
 * local OpenID provider, a protected app and a public one.
 */
export function writeDemoRelayConfig(
  workspace: DemoWorkspace,
  ports: { publicPort: number; tunnelPort: number },
  identity: { issuer: string; clientId: string; email: string },
): void {
  const text = `# Written by "keyway demo". Run it alone with:
#   keyway relay --config ${workspace.relayConfig}
# Public HTTP: browsers and curl send *.localhost names to this loopback address.
listen: 127.0.0.1:${ports.publicPort}
# Where connectors dial in (a WebSocket).
tunnelListen: 127.0.0.1:${ports.tunnelPort}
dataDir: ${JSON.stringify(workspace.dataDir)}
gracePeriodMs: 3000
tunnels:
  - name: ${demoTunnel.name}
    hostnames:
      - ${demoTunnel.appHost}
      - ${demoTunnel.helloHost}
      - ${demoTunnel.privateHost}
access:
  # Login happens on this host, served by the relay itself.
  authDomain: auth.localhost
  identityProviders:
    - id: demo
      name: Demo OpenID provider
      type: oidc
      issuer: ${identity.issuer}
      clientId: ${identity.clientId}
      clientSecretFile: ${JSON.stringify(workspace.clientSecretFile)}
  apps:
    - name: private
      domains: [${demoTunnel.privateHost}]
      sessionDuration: 8h
      policies:
        - name: demo-user
          action: allow
          include: [{ email: [${identity.email}] }]
    - name: welcome
      domains: [${demoTunnel.appHost}, ${demoTunnel.helloHost}]
      public: true
`
  writeFileSync(workspace.relayConfig, text)
}

/** Writes `connector.yaml`: dial `tunnelUrl`, send the app host to `originUrl`. */
export function writeDemoConnectorConfig(
  workspace: DemoWorkspace,
  urls: { tunnelUrl: string; originUrl: string },
): void {
  const text = `# Written by "keyway demo". Run it alone with:
#   keyway tunnel run --config ${workspace.connectorConfig} --token-file ${workspace.tokenFile}
relay: ${urls.tunnelUrl}
haConnections: 2
gracePeriodMs: 3000
ingress:
  - hostname: ${demoTunnel.appHost}
    service: ${urls.originUrl}
  - hostname: ${demoTunnel.helloHost}
    service: hello_world
  - hostname: ${demoTunnel.privateHost}
    service: ${urls.originUrl}
  - service: http_status:404
`
  writeFileSync(workspace.connectorConfig, text)
}

/** Stores the tunnel token for the connector (mode 0600, like any token file). */
export function writeDemoToken(workspace: DemoWorkspace, token: string): void {
  writeFileSync(workspace.tokenFile, `${token}\n`, { mode: 0o600 })
  chmodSync(workspace.tokenFile, 0o600)
}
