import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import type { ProcessHandle } from '@keyway/testkit'
import { stringify } from 'yaml'

import { delay, runKeyway, startKeyway, waitForLog, writeFile } from './keyway-process.js'

/** A tunnel of relay.yaml. */
export interface TunnelSpec {
  readonly name: string
  readonly hostnames: readonly string[]
}

/** What goes into a generated relay.yaml. */
export interface RelaySpec {
  /** Folder for relay.yaml and the data dir. */
  readonly dir: string
  readonly tunnels: readonly TunnelSpec[]
  /** Fixed ports (for restarts on the same ports); 0 (a free port) when omitted. */
  readonly publicPort?: number
  readonly tunnelPort?: number
  /** Extra top-level keys, such as `limits` or `gracePeriodMs`. */
  readonly extra?: Readonly<Record<string, unknown>>
  /** Name of the process in messages. Default `relay`. */
  readonly name?: string
}

/** A running `keyway relay` process. */
export interface RelayProcess {
  readonly handle: ProcessHandle
  readonly spec: RelaySpec
  readonly configFile: string
  readonly publicPort: number
  readonly tunnelPort: number
  /** `ws://127.0.0.1:PORT/_keyway/tunnel` */
  readonly tunnelUrl: string
  readonly pid: number
  /** `http://HOST:PUBLICPORT/PATH`, for a client resolving every name to 127.0.0.1. */
  url(host: string, path?: string): string
}

/** Writes relay.yaml for `spec` (overwriting an earlier one) and returns its path. */
export function writeRelayConfig(spec: RelaySpec): string {
  const config = {
    listen: `127.0.0.1:${spec.publicPort ?? 0}`,
    tunnelListen: `127.0.0.1:${spec.tunnelPort ?? 0}`,
    dataDir: join(spec.dir, 'relay-data'),
    tunnels: spec.tunnels.map((tunnel) => ({ name: tunnel.name, hostnames: tunnel.hostnames })),
    ...spec.extra,
  }
  mkdirSync(spec.dir, { recursive: true })
  return writeFile(spec.dir, 'relay.yaml', stringify(config))
}

/** Starts `keyway relay` and waits for its `relay listening` line, which gives the ports. */
export async function startRelay(spec: RelaySpec): Promise<RelayProcess> {
  const configFile = writeRelayConfig(spec)
  const handle = startKeyway(['relay', '--config', configFile], spec.name ?? 'relay')
  const listening = await waitForLog(handle, 'relay listening')
  const publicPort = Number(new URL(String(listening['publicUrl'])).port)
  const tunnelUrl = String(listening['tunnelUrl'])
  return {
    handle,
    spec,
    configFile,
    publicPort,
    tunnelPort: Number(new URL(tunnelUrl).port),
    tunnelUrl,
    pid: handle.pid as number,
    url: (host, path = '/') => `http://${host}:${publicPort}${path}`,
  }
}

/** Starts the relay again with the same spec (same ports and dataDir, same config file). */
export function restartRelay(relay: RelayProcess, changes: Partial<RelaySpec> = {}) {
  return startRelay({
    ...relay.spec,
    publicPort: relay.publicPort,
    tunnelPort: relay.tunnelPort,
    ...changes,
  })
}

/** A token printed by `keyway tunnel token|rotate`, and the file it was stored in. */
export interface IssuedToken {
  readonly token: string
  readonly file: string
}

let tokenFiles = 0

/** Runs `keyway tunnel token NAME` (or `rotate`) against the relay's config. */
export async function issueToken(
  relay: Pick<RelayProcess, 'configFile' | 'spec'>,
  name: string,
  command: 'token' | 'rotate' = 'token',
): Promise<IssuedToken> {
  const run = await runKeyway(['tunnel', command, name, '--config', relay.configFile])
  if (run.code !== 0) throw new Error(`keyway tunnel ${command} ${name} failed: ${run.stderr}`)
  const token = run.stdout.trim()
  const file = writeFile(relay.spec.dir, `${name}-${++tokenFiles}.token`, `${token}\n`)
  return { token, file }
}

/** An ingress rule of connector.yaml. */
export interface IngressSpec {
  readonly hostname?: string
  readonly path?: string
  readonly service: string
  readonly originRequest?: Readonly<Record<string, unknown>>
}

/** What goes into a generated connector.yaml. */
export interface ConnectorSpec {
  readonly dir: string
  readonly relays: readonly string[]
  readonly tokenFile: string
  readonly ingress: readonly IngressSpec[]
  /** Default 1. */
  readonly haConnections?: number
  readonly gracePeriodMs?: number
  readonly name?: string
  /** Registered connections to wait for before returning. Default `haConnections`; 0: none. */
  readonly waitReady?: number
  readonly args?: readonly string[]
}

/** A running `keyway tunnel run` process with its metrics server. */
export interface ConnectorProcess {
  readonly handle: ProcessHandle
  readonly pid: number
  readonly configFile: string
  /** `http://127.0.0.1:PORT` of the metrics and readiness server. */
  readonly metricsUrl: string
  /** The connector's id, as the relay logs it on every request it carries. */
  connectorId(): Promise<string>
  /** Polls `/ready` until `readyConnections >= count`. */
  waitReady(count: number, timeoutMs?: number): Promise<void>
  /** The `/ready` answer. */
  ready(): Promise<{ status: number; readyConnections?: number; connectorId?: string }>
}

let connectorConfigs = 0

/** Starts `keyway tunnel run` with a generated connector.yaml (metrics on a free port). */
export async function startConnector(spec: ConnectorSpec): Promise<ConnectorProcess> {
  const haConnections = spec.haConnections ?? 1
  const config = {
    relay: spec.relays.length === 1 ? spec.relays[0] : spec.relays,
    haConnections,
    metrics: '127.0.0.1:0',
    ...(spec.gracePeriodMs === undefined ? {} : { gracePeriodMs: spec.gracePeriodMs }),
    ingress: spec.ingress,
  }
  mkdirSync(spec.dir, { recursive: true })
  const configFile = writeFile(spec.dir, `connector-${++connectorConfigs}.yaml`, stringify(config))
  const args = ['tunnel', 'run', '--config', configFile, '--token-file', spec.tokenFile]
  const handle = startKeyway([...args, ...(spec.args ?? [])], spec.name ?? 'connector')
  const listening = await waitForLog(handle, 'metrics server listening')
  const metricsUrl = `http://127.0.0.1:${Number(listening['port'])}`

  const ready: ConnectorProcess['ready'] = async () => {
    const response = await fetch(`${metricsUrl}/ready`)
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>
    return {
      status: response.status,
      readyConnections: body['readyConnections'] as number | undefined,
      connectorId: body['connectorId'] as string | undefined,
    }
  }
  const waitReady = async (count: number, timeoutMs = 15_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    let last: unknown
    while (Date.now() < deadline) {
      if (!handle.running) throw new Error(`connector exited:\n${handle.log.tail()}`)
      last = await ready().catch((err: unknown) => String(err))
      const readyNow = (last as { readyConnections?: number }).readyConnections ?? 0
      if (readyNow >= count) return
      await delay(50)
    }
    const seen = JSON.stringify(last)
    throw new Error(
      `connector not ready with ${count} connections (${seen}):\n${handle.log.tail()}`,
    )
  }
  const connector: ConnectorProcess = {
    handle,
    pid: handle.pid as number,
    configFile,
    metricsUrl,
    waitReady,
    ready,
    connectorId: async () => String((await ready()).connectorId),
  }
  const wanted = spec.waitReady ?? haConnections
  if (wanted > 0) await waitReady(wanted)
  return connector
}
