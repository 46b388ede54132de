import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'

import type { DemoComponent } from './components.js'
import type { DemoWorkspace } from './workspace.js'

/** The demo's OpenID provider, its one client (the relay) and its demo user. */
export const demoIdentity = Object.freeze({
  /** Where login happens: the relay's auth domain. */
  authHost: 'auth.localhost',
  clientId: 'keyway-demo',
  /** The login name typed at the provider; the password can be anything. */
  login: 'demo',
  email: 'demo@example.test',
  group: 'demo',
})

/** The local OpenID provider the demo relay logs users in with. */
export interface DemoProviderComponent extends DemoComponent {
  readonly issuer: string
  /** The client secret file the relay reads (mode 0600). */
  readonly clientSecretFile: string
}

/**
 * Starts a local OpenID provider (oidc-provider, in this process) that knows the relay as
 * client `keyway-demo`, with a redirect URI on the relay's auth domain at `publicPort`, and
 * the demo user. Its login form accepts any password; the login name picks the user.
 */
export async function startProviderComponent(
  workspace: DemoWorkspace,
  publicPort: number,
): Promise<DemoProviderComponent> {
  const clientSecret = randomBytes(24).toString('base64url')
  writeFileSync(workspace.clientSecretFile, `${clientSecret}\n`, { mode: 0o600 })
  const provider = await withoutProviderNotices(async () => {
    // Loaded here, not at the top: oidc-provider prints a runtime warning on stderr when
    // imported, which every other command (an SSH ProxyCommand among them) must not show.
    const { startOidcProvider } = await import('@keyway/testkit/oidc-provider')
    return startOidcProvider({
      clients: [{
        clientId: demoIdentity.clientId,
        clientSecret,
        redirectUris: [`http://${demoIdentity.authHost}:${publicPort}/.keyway/callback`],
      }],
      users: {
        [demoIdentity.login]: {
          email: demoIdentity.email,
          name: 'Demo User',
          groups: [demoIdentity.group],
        },
      },
    })
  })
  return {
    name: 'OpenID provider',
    issuer: provider.issuer,
    clientSecretFile: workspace.clientSecretFile,
    stop: () => provider.close(),
  }
}

/**
 * Runs `start` with oidc-provider's console notices (Node version, in-memory storage, the
 * development login form) held back: they describe exactly what the demo provider is meant
 * to be, and the banner says so. Other console output passes through.
 */
async function withoutProviderNotices<T>(start: () => Promise<T>): Promise<T> {
  const { warn, info } = console
  const keep = (write: (...args: unknown[]) => void) => (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider ')) return
    write(...args)
  }
  console.warn = keep(warn)
  console.info = keep(info)
  try {
    return await start()
  } finally {
    console.warn = warn
    console.info = info
  }
}
