import type { IncomingMessage, ServerResponse } from 'node:http'

import {
  startHttpOrigin,
  type HttpOrigin,
  type ProcessHandle,
} from '@keyway/testkit'

import { runKeyway, startKeyway, writeFile } from './keyway.js'

/** The tunnel the tests' relays serve, and its public hostname. */
export const testTunnel = { name: 'web', hostname: 'web.localhost' } as const

/** A `keyway relay` process on loopback with free ports. */
export interface RelayProcess {
  readonly handle: ProcessHandle
  readonly config: string
  readonly publicUrl: string
  readonly tunnelUrl: string
}

/** Waits for the JSON log line with message `msg`, from `since` on. */
export function logged(
  handle: ProcessHandle,
  msg: string,
  since = 0,
): Promise<Record<string, unknown>> {
  return handle.waitForJsonLine((line) => line['msg'] === msg, { since })
}

/** Writes a relay.yaml in `dir` (ports 0, tunnel {@link testTunnel}). */
export function writeRelayConfig(dir: string): string {
  return writeFile(
    dir,
    'relay.yaml',
    `listen: 127.0.0.1:0
tunnelListen: 127.0.0.1:0
dataDir: ${JSON.stringify(`${dir}/relay-data`)}
tunnels:
  - name: ${testTunnel.name}
    hostnames: [${testTunnel.hostname}]
`,
  )
}

/** Starts `keyway relay` on the config and reads its URLs from the `relay listening` line. */
export async function startRelayProcess(config: string): Promise<RelayProcess> {
  const handle = startKeyway(['relay', '--config', config])
  const listening = await logged(handle, 'relay listening')
  return {
    handle,
    config,
    publicUrl: String(listening['publicUrl']),
    tunnelUrl: String(listening['tunnelUrl']),
  }
}

/** Prints the tunnel's token with `keyway tunnel token` (or `rotate`) and stores it in a file. */
export async function issueToken(
  dir: string,
  config: string,
  command: 'token' | 'rotate' = 'token',
): Promise<{ token: string; file: string }> {
  const result = await runKeyway(['tunnel', command, testTunnel.name, '--config', config])
  if (result.code !== 0) throw new Error(`keyway tunnel ${command} failed: ${result.stderr}`)
  const file = writeFile(dir, `${command}-${Date.now()}.token`, `${result.stdout}\n`)
  return { token: result.stdout, file }
}

/** Writes a connector.yaml sending the test hostname to `originUrl`. */
export function writeConnectorConfig(dir: string, tunnelUrl: string, originUrl: string): string {
  return writeFile(
    dir,
    'connector.yaml',
    `relay: ${tunnelUrl}
haConnections: 1
ingress:
  - hostname: ${testTunnel.hostname}
    service: ${originUrl}
  - service: http_status:404
`,
  )
}

/** An origin whose `/held` requests wait until the test releases them. */
export interface HeldOrigin {
  readonly origin: HttpOrigin
  /** Resolves when a `/held` request has arrived. */
  readonly arrived: Promise<void>
  /** Answers every held request with 200 and `body`. */
  release(body: string): void
}

/** Starts an origin that answers `/held` only when told to, and `ok` to anything else. */
export async function startHeldOrigin(): Promise<HeldOrigin> {
  const held: ServerResponse[] = []
  let signalArrival: () => void = () => undefined
  const arrived = new Promise<void>((resolve) => {
    signalArrival = resolve
  })
  const origin = await startHttpOrigin({
    handler: (req: IncomingMessage, res: ServerResponse) => {
      req.resume()
      if (req.url !== '/held') {
        res.end('ok')
        return
      }
      held.push(res)
      signalArrival()
    },
  })
  return {
    origin,
    arrived,
    release: (body) => {
      for (const res of held.splice(0)) res.end(body)
    },
  }
}

/** A relay and a connector (both `keyway` processes) in front of a {@link HeldOrigin}. */
export interface RunningTunnel {
  readonly relay: RelayProcess
  readonly connector: ProcessHandle
  readonly held: HeldOrigin
  /** `http://web.localhost:PORT`, the tunnel's public address. */
  readonly url: string
}

/** Starts a {@link RunningTunnel} with its files in `dir`; close `held.origin` after. */
export async function startTunnel(dir: string): Promise<RunningTunnel> {
  const held = await startHeldOrigin()
  const relay = await startRelayProcess(writeRelayConfig(dir))
  const { file } = await issueToken(dir, relay.config)
  const config = writeConnectorConfig(dir, relay.tunnelUrl, held.origin.url)
  const connector = startKeyway(['tunnel', 'run', '-c', config, '--token-file', file])
  // The relay's own line: it routes to the connection only from then on.
  await logged(relay.handle, 'tunnel registered')
  const port = new URL(relay.publicUrl).port
  return { relay, connector, held, url: `http://${testTunnel.hostname}:${port}` }
}
