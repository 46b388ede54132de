import {
  freePort,
  spawnOidcProvider,
  type OidcProviderProcess,
  type OidcUser,
} from '@keyway/testkit'

import { identityOrigin } from './identity-origin.js'
import { runKeyway } from './keyway-process.js'
import { startTunnelFixture, type TunnelFixture } from './tunnel-fixture.js'

/** The auth domain of the access stack's relay. */
export const authDomain = 'auth.localhost'

/** The users the stack's provider knows, by login name. */
export const stackUsers: Readonly<Record<string, OidcUser>> = Object.freeze({
  alice: { email: 'alice@example.test', groups: ['eng'] },
  bob: { email: 'bob@example.test', groups: ['sales'] },
})

const clientSecret = 'keyway-e2e-client-secret'

/**
 * The `access:` section: `wiki` admits the `eng` group (and sends the Cloudflare names too),
 * `blog` admits everyone signed in, `api` admits the service token `ci`, `www` is public.
 */
function accessSection(issuer: string): Record<string, unknown> {
  return {
    authDomain,
    identityProviders: [{ id: 'test', type: 'oidc', issuer, clientId: 'keyway', clientSecret }],
    apps: [
      { name: 'wiki', domains: ['wiki.localhost'], cloudflareHeaders: true,
        policies: [{ name: 'engineers', action: 'allow', include: [{ group: ['eng'] }] }] },
      { name: 'blog', domains: ['blog.localhost'],
        policies: [{ name: 'everyone', action: 'allow', include: ['everyone'] }] },
      { name: 'api', domains: ['api.localhost'],
        policies: [{ name: 'ci', action: 'service_auth', include: [{ serviceToken: ['ci'] }] }] },
      { name: 'www', domains: ['www.localhost'], public: true },
    ],
  }
}

/** A relay with access, a connector, an identity-verifying origin and an OpenID provider. */
export interface AccessStack extends TunnelFixture {
  readonly provider: OidcProviderProcess
  /** `http://HOST:PORT/PATH` on the relay's public port. */
  url(host: string, path?: string): string
  /** Runs `keyway logs --json ARGS` against the relay's config and parses the lines. */
  logs(...args: string[]): Promise<Array<Record<string, unknown>>>
  /** Stops every process of the stack and removes its files. */
  close(): Promise<void>
}

/**
 * Starts the real processes of an access deployment: `keyway relay` with an `access:`
 * section, `keyway tunnel run`, the test OpenID provider as its own process, and an origin
 * that verifies each request's identity assertion with jose (see identity-origin.ts).
 */
export async function startAccessStack(): Promise<AccessStack> {
  // The relay needs the issuer and the provider needs the relay's callback URL: the
  // provider's port is chosen first and it starts once the relay's port is known.
  const providerPort = await freePort()
  let publicPort = 0
  const fx = await startTunnelFixture({
    tunnels: [{ name: 'apps',
      hostnames: ['wiki.localhost', 'blog.localhost', 'api.localhost', 'www.localhost'] }],
    handler: identityOrigin({ authDomain, port: () => publicPort }),
    relayExtra: { access: accessSection(`http://127.0.0.1:${providerPort}`) },
  })
  publicPort = fx.relay.publicPort
  const provider = await spawnOidcProvider({
    port: providerPort,
    clients: [{ clientId: 'keyway', clientSecret,
      redirectUris: [`http://${authDomain}:${publicPort}/.keyway/callback`] }],
    users: stackUsers,
  })

  const logs = async (...args: string[]) => {
    const run = await runKeyway(['logs', '--config', fx.relay.configFile, '--json', ...args])
    if (run.code !== 0) throw new Error(`keyway logs failed: ${run.stderr}`)
    const text = run.stdout.trim()
    if (text === '') return []
    return text.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
  }
  return {
    ...fx,
    provider,
    url: (host, path = '/') => fx.relay.url(host, path),
    logs,
    close: async () => {
      await provider.close()
      await fx.origin.close()
      await fx.dir.remove()
    },
  }
}
