import { readFileSync } from 'node:fs'

import { startKeyway, writeFile } from './keyway.js'
import {
  issueToken,
  logged,
  startHeldOrigin,
  startRelayProcess,
  writeConnectorConfig,
  writeRelayConfig,
  type HeldOrigin,
  type RelayProcess,
} from './tunnel-setup.js'

/**
 * An `access:` section for the tests' relay (tunnel `web`, host `web.localhost`): `/` is a
 * public app, `/admin` needs a user from example.test, `/api` admits the service token
 * `ci`. The provider is never asked, so its issuer points nowhere.
 */
export const testAccessSection = `access:
  authDomain: auth.localhost
  identityProviders:
    - { id: corp, type: oidc, issuer: "http://127.0.0.1:9", clientId: keyway, clientSecret: x }
  apps:
    - name: site
      domains: [web.localhost]
      public: true
    - name: admin
      domains: [web.localhost/admin]
      policies:
        - { name: staff, action: allow, include: [{ emailDomain: [example.test] }] }
    - name: api
      domains: [web.localhost/api]
      policies:
        - { name: ci, action: service_auth, include: [{ serviceToken: [ci] }] }
`

/** Writes relay.yaml in `dir` with the test tunnel and `access` (default the one above). */
export function writeAccessRelayConfig(dir: string, access = testAccessSection): string {
  const base = readFileSync(writeRelayConfig(dir), 'utf8')
  return writeFile(dir, 'relay.yaml', base + access)
}

/** A relay with an access section, a connector and an origin that answers `ok`. */
export interface AccessTunnel {
  readonly relay: RelayProcess
  readonly held: HeldOrigin
  /** `http://web.localhost:PORT` */
  readonly url: string
}

/** Starts {@link AccessTunnel} from the relay.yaml at `config`; close `held.origin` after. */
export async function startAccessTunnel(dir: string, config: string): Promise<AccessTunnel> {
  const held = await startHeldOrigin()
  const relay = await startRelayProcess(config)
  const { file } = await issueToken(dir, config)
  const connectorConfig = writeConnectorConfig(dir, relay.tunnelUrl, held.origin.url)
  startKeyway(['tunnel', 'run', '-c', connectorConfig, '--token-file', file])
  await logged(relay.handle, 'tunnel registered')
  const port = new URL(relay.publicUrl).port
  return { relay, held, url: `http://web.localhost:${port}` }
}
