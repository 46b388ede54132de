import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

import Provider from 'oidc-provider'

import { buildProviderConfiguration, type OidcProviderOptions } from './oidc-provider-config.js'
import { spawnProcess, type ProcessHandle, type SpawnOptions } from './spawn-process.js'

/** A running test OpenID provider. */
export interface OidcProvider {
  /** `http://HOST:PORT`, the issuer and the base of every endpoint. */
  readonly issuer: string
  readonly port: number
  /** Closes the listener and every connection. */
  close(): Promise<void>
}

/** A test OpenID provider running as its own process. */
export interface OidcProviderProcess extends OidcProvider {
  readonly process: ProcessHandle
}

/**
 * Starts oidc-provider 9 in this process on loopback. Login goes through its devInteractions
 * form: any password, the login name picks the user. Consent is never asked.
 */
export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProvider> {
  validateOptions(options)
  let callback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  const server = createServer((req, res) => {
    if (callback) return callback(req, res)
    res.statusCode = 503
    res.end('provider starting\n')
  })
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, resolve)
  })
  const port = (server.address() as AddressInfo).port
  // The issuer needs the port, so the provider is built after the listener is up.
  const issuer = `http://${options.issuerHost ?? host}:${port}`
  const provider = new Provider(issuer, buildProviderConfiguration(options))
  callback = provider.callback()

  return {
    issuer,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
  }
}

/**
 * Starts the test OpenID provider as its own process (`oidc-provider-main`), registered for
 * `stopAll`, and resolves once it printed its issuer.
 */
export async function spawnOidcProvider(
  options: OidcProviderOptions,
  spawnOptions: Pick<SpawnOptions, 'env' | 'cwd' | 'echo'> = {},
): Promise<OidcProviderProcess> {
  validateOptions(options)
  const [command, args] = oidcProviderCommand()
  const child = spawnProcess(command, [...args, JSON.stringify(options)], {
    name: 'oidc-provider',
    ...spawnOptions,
  })
  const ready = await child.waitForJsonLine<{ issuer: string; port: number }>(
    (entry) => typeof entry['issuer'] === 'string' && typeof entry['port'] === 'number',
    { timeoutMs: 30_000, stream: 'stdout' },
  )
  return {
    issuer: ready.issuer,
    port: ready.port,
    process: child,
    close: async () => {
      await child.stop()
    },
  }
}

/**
 * The command that runs `oidc-provider-main`: the compiled file next to this module, or, when
 * this module runs from TypeScript sources (tests), the source file through tsx.
 */
export function oidcProviderCommand(): [string, string[]] {
  const here = import.meta.url
  if (here.endsWith('.ts')) {
    const tsx = createRequire(here).resolve('tsx')
    const main = fileURLToPath(new URL('./oidc-provider-main.ts', here))
    return [process.execPath, ['--import', pathToFileURL(tsx).href, main]]
  }
  return [process.execPath, [fileURLToPath(new URL('./oidc-provider-main.js', here))]]
}

function validateOptions(options: OidcProviderOptions): void {
  const problems: string[] = []
  if (!Array.isArray(options.clients) || options.clients.length === 0) {
    problems.push("'clients' must list at least one client")
  }
  for (const [index, client] of (options.clients ?? []).entries()) {
    if (typeof client.clientId !== 'string' || client.clientId === '') {
      problems.push(`'clients[${index}].clientId' must be a non-empty string`)
    }
    if (typeof client.clientSecret !== 'string' || client.clientSecret.length < 8) {
      problems.push(`'clients[${index}].clientSecret' must be a string of 8 or more characters`)
    }
    if (!Array.isArray(client.redirectUris) || client.redirectUris.length === 0) {
      problems.push(`'clients[${index}].redirectUris' must list at least one URL`)
    }
  }
  if (problems.length > 0) {
    throw new TypeError(`bad OpenID provider options: ${problems.join('; ')}`)
  }
}
