import { chmodSync, mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'

import {
  freePorts,
  spawnOidcProvider,
  tempDir,
  type OidcProviderProcess,
  type TempDir,
} from '@keyway/testkit'

import { delay, keywayBin, runKeyway, startKeyway, writeFile } from './keyway-process.js'
import {
  issueToken,
  startConnector,
  startRelay,
  writeRelayConfig,
  type ConnectorProcess,
  type RelayProcess,
  type RelaySpec,
} from './stack.js'

/** One TCP app of the stack: hostname `NAME.localhost`, its origin, and its policies. */
export interface TcpAppSpec {
  readonly name: string
  /** The connector's service for it: `ssh://...`, `rdp://...`, `tcp://...`. */
  readonly service: string
  /** relay.yaml policies of the app. */
  readonly policies: ReadonlyArray<Readonly<Record<string, unknown>>>
  /** More keys of the app's relay.yaml entry, such as `tcp`. */
  readonly settings?: Readonly<Record<string, unknown>>
}

/** What {@link startTcpAppStack} builds. */
export interface TcpAppStackOptions {
  readonly apps: readonly TcpAppSpec[]
  /** Service tokens to create (with `keyway access service-token create`) before start. */
  readonly serviceTokens?: readonly string[]
}

/** A service token as `keyway access service-token create` printed it. */
export interface CreatedServiceToken {
  readonly clientId: string
  readonly clientSecret: string
}

/**
 * A test OpenID provider process, a `keyway relay` whose `access:` section protects the
 * apps and logs in through that provider, and a `keyway tunnel run` serving the apps.
 */
export interface TcpAppStack {
  readonly dir: TempDir
  readonly provider: OidcProviderProcess
  readonly relay: RelayProcess
  readonly connector: ConnectorProcess
  readonly serviceTokens: Readonly<Record<string, CreatedServiceToken>>
  /** A folder holding a `keyway` executable, to put first on `PATH`. */
  readonly binDir: string
  /** `http://NAME.localhost:PORT`, the app's URL as `--hostname` takes it. */
  appUrl(name: string): string
  /** Rewrites relay.yaml's `access:` with `apps` and sends SIGHUP; resolves once reloaded. */
  reloadApps(apps: readonly TcpAppSpec[]): Promise<void>
}

const clientId = 'keyway-relay'
const clientSecret = 'keyway-relay-test-secret'

/** Starts a {@link TcpAppStack} in a fresh temporary folder. */
export async function startTcpAppStack(options: TcpAppStackOptions): Promise<TcpAppStack> {
  const dir = tempDir('keyway-tcp-apps-')
  // The provider must know the relay's port; a free port can be taken before the relay
  // binds it (tests run in parallel), so it knows a few and the relay tries them in turn.
  const candidatePorts = await freePorts(3)
  const provider = await spawnOidcProvider({
    clients: [{
      clientId,
      clientSecret,
      redirectUris: candidatePorts.map((port) => `http://auth.localhost:${port}/.keyway/callback`),
    }],
  })
  const tunnels = [{ name: 'apps', hostnames: options.apps.map((app) => `${app.name}.localhost`) }]
  const specOf = (apps: readonly TcpAppSpec[], publicPort: number): RelaySpec => ({
    dir: dir.path,
    publicPort,
    tunnels,
    extra: {
      access: {
        authDomain: 'auth.localhost',
        identityProviders: [
          { id: 'corp', type: 'oidc', issuer: provider.issuer, clientId, clientSecret },
        ],
        apps: apps.map((app) => ({
          name: app.name,
          domains: [`${app.name}.localhost`],
          policies: app.policies,
          ...app.settings,
        })),
      },
    },
  })
  const configFile = writeRelayConfig(specOf(options.apps, candidatePorts[0] ?? 0))
  const serviceTokens: Record<string, CreatedServiceToken> = {}
  for (const name of options.serviceTokens ?? []) {
    serviceTokens[name] = await createServiceToken(configFile, name)
  }

  const relay = await startRelayOnOneOf(candidatePorts, (port) => specOf(options.apps, port))
  const token = await issueToken(relay, 'apps')
  const connector = await startConnector({
    dir: dir.path,
    relays: [relay.tunnelUrl],
    tokenFile: token.file,
    ingress: [
      ...options.apps.map((app) => ({ hostname: `${app.name}.localhost`, service: app.service })),
      { service: 'http_status:404' },
    ],
  })
  const binDir = join(dir.path, 'bin')
  mkdirSync(binDir)
  symlinkSync(keywayBin, join(binDir, 'keyway'))

  return {
    dir,
    provider,
    relay,
    connector,
    serviceTokens,
    binDir,
    appUrl: (name) => `http://${name}.localhost:${relay.publicPort}`,
    reloadApps: async (apps) => {
      const since = relay.handle.log.nextSeq
      writeRelayConfig(specOf(apps, relay.publicPort))
      relay.handle.kill('SIGHUP')
      await relay.handle.waitForJsonLine((entry) => entry['msg'] === 'access config reloaded',
        { since, timeoutMs: 15_000, description: 'access config reloaded' })
    },
  }
}

async function startRelayOnOneOf(
  ports: readonly number[],
  specOf: (port: number) => RelaySpec,
): Promise<RelayProcess> {
  let lastError: unknown
  for (const port of ports) {
    try {
      return await startRelay(specOf(port))
    } catch (err) {
      lastError = err
    }
  }
  throw lastError
}

/** Runs `keyway access service-token create NAME` and reads the printed id and secret. */
export async function createServiceToken(
  configFile: string,
  name: string,
): Promise<CreatedServiceToken> {
  const run = await runKeyway(['access', 'service-token', 'create', name, '--config', configFile])
  const clientId = /^Keyway-Access-Client-Id: (\S+)$/m.exec(run.stdout)?.[1]
  const clientSecret = /^Keyway-Access-Client-Secret: (\S+)$/m.exec(run.stdout)?.[1]
  if (run.code !== 0 || clientId === undefined || clientSecret === undefined) {
    throw new Error(`keyway access service-token create ${name} failed: ${run.stderr}`)
  }
  return { clientId, clientSecret }
}

/** A folder for one user's token cache (`KEYWAY_HOME`) under the stack's folder. */
export function userHome(stack: TcpAppStack, user: string): string {
  const home = join(stack.dir.path, 'homes', user)
  mkdirSync(home, { recursive: true })
  return home
}

/** The environment that makes `keyway access login` use the browser stand-in. */
// A type alias, not an interface: it must fit `Record<string, string>` environments.
export type BrowserEnv = {
  readonly BROWSER: string
  readonly KEYWAY_TEST_LOGIN: string
  readonly KEYWAY_TEST_BROWSER: 'http' | 'chromium'
  /** What the stand-in did, one line per step. */
  readonly KEYWAY_TEST_BROWSER_LOG: string
}

/** The browser stand-in script (see browser-login.mjs). */
export const browserLoginScript = new URL('./browser-login.mjs', import.meta.url).pathname

/**
 * The `$BROWSER` that `keyway access login` starts in these tests: `browser-login.mjs`
 * logs in as `login` (headless HTTP, or Chromium) and appends what it did to a log file.
 */
export function browserEnv(
  stack: TcpAppStack,
  login: string,
  mode: 'http' | 'chromium' = 'http',
): BrowserEnv {
  const logFile = writeFile(stack.dir.path, `browser-${login}-${mode}.log`, '')
  return {
    BROWSER: `${process.execPath} ${browserLoginScript}`,
    KEYWAY_TEST_LOGIN: login,
    KEYWAY_TEST_BROWSER: mode,
    KEYWAY_TEST_BROWSER_LOG: logFile,
  }
}

/** A `$BROWSER` that only records each URL it is given, and the file it records them in. */
export function browserRecorder(stack: TcpAppStack, name: string): {
  env: { BROWSER: string }
  logFile: string
} {
  const logFile = writeFile(stack.dir.path, `${name}.urls`, '')
  const script = writeFile(stack.dir.path, `${name}.sh`,
    `#!/bin/sh\nprintf '%s\\n' "$1" >> '${logFile}'\n`)
  chmodSync(script, 0o755)
  return { env: { BROWSER: script }, logFile }
}

/** Logs `login` in to `app` with the real `keyway access login`, through the HTTP browser. */
export async function loginAs(
  stack: TcpAppStack,
  app: string,
  login: string,
  home: string,
): Promise<void> {
  const env = { KEYWAY_HOME: home, ...browserEnv(stack, login) }
  const handle = startKeyway(['access', 'login', stack.appUrl(app)], `login ${login}`, env)
  const exit = await handle.waitForExit(30_000)
  if (exit.code !== 0) {
    throw new Error(`keyway access login failed: ${handle.output('stderr')}`)
  }
}

/**
 * The audit record of request `reqId` of `app`, read with `keyway logs --json`, once the
 * relay has added how its TCP session went (it does so when the session ends).
 */
export async function auditedSession(
  stack: TcpAppStack,
  app: string,
  reqId: string,
): Promise<Record<string, unknown>> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const logs = await runKeyway(['logs', '--config', stack.relay.configFile, '--app', app,
      '--json'])
    const found = logs.stdout.trim().split('\n').filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((record) => record['reqId'] === reqId)
    if (found !== undefined && found['tcp'] !== null) return found
    await delay(100)
  }
  throw new Error(`the audit log has no record of the TCP session of ${reqId}`)
}
