import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Connector, createConnectorLogger, validateConnectorConfig } from '@keyway/connector'
import {
  TunnelTokens,
  createRelayLogger,
  startRelay,
  validateRelayConfig,
  type GateDecision,
  type GateRequest,
  type Relay,
  type RequestGate,
} from '@keyway/relay'

/** The app token the test gate accepts, shaped as a JWT that expires in an hour. */
export function fakeAppToken(claims: Record<string, unknown> = {}): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const exp = Math.floor(Date.now() / 1000) + 3600
  return `${part({ alg: 'ES256', kid: 'test' })}.${part({ sub: 'u1', exp, ...claims })}.c2ln`
}

/** Credentials the test gate knows. */
export const testCredentials = {
  goodToken: fakeAppToken({ email: 'alice@example.com' }),
  deniedToken: fakeAppToken({ email: 'mallory@example.com' }),
  serviceId: 'svc-1.access',
  serviceSecret: 'svc-secret-1',
}

/** A gate that stands in for the access layer: app tokens and service tokens. */
export class TestGate implements RequestGate {
  readonly seen: GateRequest[] = []

  async decide(request: GateRequest): Promise<GateDecision> {
    this.seen.push(request)
    const token = request.req.headers['keyway-access-token']
    const id = request.req.headers['keyway-access-client-id']
    const secret = request.req.headers['keyway-access-client-secret']
    if (id !== undefined || secret !== undefined) {
      if (id === testCredentials.serviceId && secret === testCredentials.serviceSecret) {
        return { action: 'forward', identity: { user: 'svc-1', app: 'ssh' } }
      }
      return { action: 'respond', status: 401, body: 'bad service token\n' }
    }
    if (token === testCredentials.goodToken) {
      return { action: 'forward', identity: { user: 'alice@example.com', app: 'ssh' } }
    }
    if (token === testCredentials.deniedToken) {
      return { action: 'respond', status: 403, body: 'denied\n' }
    }
    const loginUrl = `http://${request.host}/.keyway/cli`
    return {
      action: 'respond',
      status: 401,
      headers: [['keyway-login-url', loginUrl]],
      body: 'log in first\n',
    }
  }
}

/** A relay (with {@link TestGate}) and a connector joined by a real tunnel, in-process. */
export interface RelayHarness {
  relay: Relay
  /** The gate in use: {@link TestGate} unless the caller passed one. */
  gate: TestGate
  /** `http://NAME.localhost:PORT` of the relay's public listener. */
  urlOf(name: string): string
  close(): Promise<void>
}

/**
 * Starts a relay whose tunnel `apps` serves `NAME.localhost` for each key of `services`,
 * and a connector whose ingress sends `NAME.localhost` to the service string (`tcp://...`).
 * The hostname `offline.localhost` routes to a tunnel that has no connector.
 */
export async function startRelayHarness(
  services: Record<string, string>,
  options: { gate?: RequestGate } = {},
): Promise<RelayHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'keyway-client-relay-'))
  const hostnames = Object.keys(services).map((name) => `${name}.localhost`)
  const config = validateRelayConfig(
    {
      listen: '127.0.0.1:0',
      tunnelListen: '127.0.0.1:0',
      dataDir: join(dir, 'state'),
      tunnels: [
        { name: 'apps', hostnames },
        { name: 'offline', hostnames: ['offline.localhost'] },
      ],
    },
    join(dir, 'relay.yaml'),
  )
  const gate = new TestGate()
  const relay = await startRelay({
    config,
    logger: createRelayLogger({ level: 'silent' }),
    gate: options.gate ?? gate,
  })
  const tokens = TunnelTokens.open(config.dataDir)
  const ingress = [
    ...Object.entries(services).map(([name, service]) => ({
      hostname: `${name}.localhost`,
      service,
    })),
    { service: 'http_status:404' },
  ]
  const connector = new Connector({
    config: validateConnectorConfig({ relay: relay.tunnelUrl, ingress }, 'connector.yaml'),
    token: tokens.tokenFor('apps'),
    logger: createConnectorLogger({ level: 'silent' }),
  })
  const ready = once(connector, 'ready')
  await connector.start()
  await ready
  const deadline = Date.now() + 5_000
  while (relay.registry.list('apps').length === 0) {
    if (Date.now() > deadline) throw new Error('the connector did not register')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const port = relay.publicAddress.port
  return {
    relay,
    gate,
    urlOf: (name) => `http://${name}.localhost:${port}`,
    close: async () => {
      await connector.stop()
      await relay.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
