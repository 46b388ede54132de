import { join } from 'node:path'

import {
  CookieJar,
  freePort,
  oidcHeadlessLogin,
  parseFirstForm,
  request,
  startOidcProvider,
  tempDir,
  type HeadlessLoginResult,
  type LoopbackResponse,
  type OidcProvider,
  type OidcUser,
  type TempDir,
} from '@keyway/testkit'

import { jsonLines } from './keyway-process.js'
import { startRelay, type RelayProcess } from './stack.js'

/** A `keyway relay` whose `access:` section logs in through a real OpenID provider. */
export interface LoginStack {
  readonly dir: TempDir
  readonly provider: OidcProvider
  readonly relay: RelayProcess
  /** `http://auth.localhost:PORT` plus `path`. */
  authUrl(path?: string): string
  /** The relay's `access decision` log lines (the audit log as logged), oldest first. */
  decisions(): Array<Record<string, unknown>>
}

/** What {@link startLoginStack} builds. */
export interface LoginStackOptions {
  /** `access.apps` of relay.yaml, SAML apps included. */
  readonly apps: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly users: Readonly<Record<string, OidcUser>>
  /** Hostnames of the relay's one tunnel (no connector is started). */
  readonly hostnames?: readonly string[]
  /** Runs before the relay starts, with its data directory (to seed key files). */
  readonly prepare?: (dataDir: string) => void
}

const clientId = 'keyway'
const clientSecret = 'keyway-test-secret'

/**
 * Starts the OpenID provider on loopback, then `keyway relay` on a port chosen before, so
 * that the provider knows the relay's callback and the relay the provider's issuer.
 */
export async function startLoginStack(options: LoginStackOptions): Promise<LoginStack> {
  const dir = tempDir('keyway-login-e2e-')
  const publicPort = await freePort()
  const provider = await startOidcProvider({
    clients: [{ clientId, clientSecret,
      redirectUris: [`http://auth.localhost:${publicPort}/.keyway/callback`] }],
    users: options.users,
  })
  const relayDir = join(dir.path, 'relay')
  // The data directory stack.ts writes into relay.yaml.
  options.prepare?.(join(relayDir, 'relay-data'))
  const relay = await startRelay({
    dir: relayDir,
    publicPort,
    tunnels: [{ name: 'apps', hostnames: options.hostnames ?? ['apps.localhost'] }],
    extra: {
      access: {
        authDomain: 'auth.localhost',
        identityProviders: [
          { id: 'corp', type: 'oidc', issuer: provider.issuer, clientId, clientSecret },
        ],
        apps: options.apps,
      },
    },
  })
  return {
    dir,
    provider,
    relay,
    authUrl: (path = '/') => relay.url('auth.localhost', path),
    decisions: () => jsonLines(relay.handle).filter((line) => line['msg'] === 'access decision'),
  }
}

/** The auto-submitting form a SAML login ends on: where it posts and what. */
export interface PostedResponse {
  readonly action: string
  readonly samlResponse: string
  readonly relayState: string | undefined
  /** The decoded `Response` document. */
  readonly xml: string
}

/** Reads the SAML post form of a page; undefined when the page has none. */
export function postedResponse(page: LoopbackResponse): PostedResponse | undefined {
  const form = parseFirstForm(page.text())
  const samlResponse = form?.fields.get('SAMLResponse')
  if (form === undefined || samlResponse === undefined) return undefined
  return {
    action: form.action,
    samlResponse,
    relayState: form.fields.get('RelayState'),
    xml: Buffer.from(samlResponse, 'base64').toString('utf8'),
  }
}

/**
 * Opens `url` as a browser would, logging in as `login` at the provider when the relay asks
 * for it; stops at the first page that is not a redirect or a login form.
 */
export function browse(url: string, login: string, jar = new CookieJar()):
  Promise<HeadlessLoginResult> {
  return oidcHeadlessLogin({ startUrl: url, login, jar })
}

/** Posts a form to `url` with the browser's cookies, as an auto-submitting page does. */
export function postForm(url: string, fields: Record<string, string>, jar: CookieJar):
  Promise<LoopbackResponse> {
  return request(url, {
    method: 'POST',
    jar,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams(fields).toString(),
  })
}
