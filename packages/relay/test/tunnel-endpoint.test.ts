import { once } from 'node:events'
import * as http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { PROTOCOL_VERSION, TUNNEL_SUBPROTOCOL } from '@keyway/protocol'
import { TunnelTokens } from '../src/tunnel-tokens.js'
import { send, waitFor } from './support/client.js'
import { startTunnel, type TunnelHarness } from './support/tunnel-harness.js'

interface DialResult {
  status: number
  code: string | undefined
  body: string
}

/** Dials the tunnel endpoint the way a connector does and reports the outcome. */
async function dial(url: string, token: string | undefined, version = PROTOCOL_VERSION) {
  const headers: Record<string, string> = { 'keyway-protocol-version': String(version) }
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  const ws = new WebSocket(url, TUNNEL_SUBPROTOCOL, { headers, perMessageDeflate: false })
  ws.on('error', () => {})
  return new Promise<DialResult>((resolve) => {
    ws.once('open', () => {
      ws.terminate()
      resolve({ status: 101, code: undefined, body: '' })
    })
    ws.once('unexpected-response', (_req, res: http.IncomingMessage) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.once('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          code: res.headers['keyway-error'] as string | undefined,
          body: Buffer.concat(chunks).toString(),
        })
      })
    })
  })
}

describe('TunnelEndpoint', () => {
  let h: TunnelHarness

  beforeAll(async () => {
    h = await startTunnel()
  })
  afterAll(async () => {
    await h?.close()
  })

  it('accepts a valid token', async () => {
    const result = await dial(h.relay.tunnelUrl, h.tokens.tokenFor('app'))

    expect(result.status).toBe(101)
  })

  it('refuses a bad token with 401, a code and a clear body, and logs no secret', async () => {
    const forged = 'keyway1.app.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    const result = await dial(h.relay.tunnelUrl, forged)

    expect(result.status).toBe(401)
    expect(result.code).toBe('ERR_TOKEN_INVALID')
    expect(result.body).toContain('the tunnel token is not valid')
    const refusals = h.relayLog.find('tunnel dial refused')
    expect(refusals.some((line) => line.code === 'ERR_TOKEN_INVALID')).toBe(true)
    expect(JSON.stringify(h.relayLog.lines())).not.toContain('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
  })

  it('refuses a dial without a token with 401', async () => {
    const result = await dial(h.relay.tunnelUrl, undefined)

    expect(result).toMatchObject({ status: 401, code: 'ERR_TOKEN_MISSING' })
  })

  it('refuses a token of a tunnel that is not in the config', async () => {
    const unrestricted = TunnelTokens.open(dataDirOf(h))
    const result = await dial(h.relay.tunnelUrl, unrestricted.tokenFor('ghost'))

    expect(result).toMatchObject({ status: 401, code: 'ERR_TOKEN_INVALID' })
  })

  it('refuses another protocol version with 400', async () => {
    const result = await dial(h.relay.tunnelUrl, h.tokens.tokenFor('app'), PROTOCOL_VERSION + 1)

    expect(result).toMatchObject({ status: 400, code: 'ERR_PROTOCOL_VERSION' })
  })

  it('answers plain HTTP on the tunnel endpoint with 426', async () => {
    const res = await send(h.relay.tunnelAddress.port, { path: '/_keyway/tunnel' })

    expect(res.status).toBe(426)
    expect(res.headers['keyway-error']).toBe('ERR_NOT_TUNNEL_ENDPOINT')
  })

  it('refuses a dial to another path with 404', async () => {
    const url = h.relay.tunnelUrl.replace('/_keyway/tunnel', '/elsewhere')
    const result = await dial(url, h.tokens.tokenFor('app'))

    expect(result).toMatchObject({ status: 404, code: 'ERR_NOT_TUNNEL_ENDPOINT' })
  })

  it('refuses the old token on the next dial after a rotation', async () => {
    const old = h.tokens.tokenFor('app')
    // Another process rotates: a second store over the same file.
    const rotated = TunnelTokens.open(dataDirOf(h)).rotate('app')

    expect(await dial(h.relay.tunnelUrl, old)).toMatchObject({ status: 401 })
    expect(await dial(h.relay.tunnelUrl, rotated)).toMatchObject({ status: 101 })
    // Connections registered before the rotation keep serving.
    expect((await send(h.relay.publicAddress.port, { path: '/after-rotate' })).status).toBe(200)
  })
})

describe('TunnelEndpoint with several connectors', () => {
  let h: TunnelHarness

  beforeAll(async () => {
    h = await startTunnel()
    await h.startConnector()
  })
  afterAll(async () => {
    await h?.close()
  })

  it('spreads requests over connectors that share a token', async () => {
    const port = h.relay.publicAddress.port
    for (let i = 0; i < 16; i++) await send(port, { path: `/spread/${i}` })
    const lines = () =>
      h.relayLog.find('request').filter((l) => String(l.path).startsWith('/spread/'))
    await waitFor(() => lines().length === 16)
    const connectors = new Set(lines().map((line) => line.connectorId))

    expect(h.relay.registry.list('app')).toHaveLength(4)
    expect(connectors).toEqual(new Set(h.connectors.map((c) => c.connectorId)))
  })

  it('carries requests on the other connector once one drained', async () => {
    const [first, second] = h.connectors
    if (first === undefined || second === undefined) throw new Error('two connectors expected')
    await first.drain()
    const links = () => h.relay.registry.list('app')
    const gone = () => links().every((link) => link.connectorId !== first.connectorId)
    await waitFor(gone)

    const port = h.relay.publicAddress.port
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => send(port, { path: `/after-drain/${i}` })),
    )
    const lines = () =>
      h.relayLog.find('request').filter((l) => String(l.path).startsWith('/after-drain/'))
    await waitFor(() => lines().length === 6)

    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(lines().every((line) => line.connectorId === second.connectorId)).toBe(true)
  })
})

describe('TunnelEndpoint with a connector that starts draining', () => {
  let h: TunnelHarness

  beforeAll(async () => {
    h = await startTunnel()
    await h.startConnector()
  })
  afterAll(async () => {
    await h?.close()
  })

  it('keeps streams on a connection after GOAWAY but opens no new ones there', async () => {
    const port = h.relay.publicAddress.port
    const hung = http.get({ port, host: '127.0.0.1', path: '/hang?goaway=1',
      headers: { host: 'app.test' }, agent: false })
    hung.on('error', () => {})
    await h.origin.waitForRequest((entry) => entry.url === '/hang?goaway=1')
    const busy = h.relay.registry.list('app').find((link) => link.mux.activeStreams > 0)
    const drainer = h.connectors.find((c) => c.connectorId === busy?.connectorId)
    if (busy === undefined || drainer === undefined) throw new Error('no busy connection found')

    const drained = drainer.drain()
    await waitFor(() => busy.mux.draining)
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => send(port, { path: `/during-drain/${i}` })),
    )
    const lines = () =>
      h.relayLog.find('request').filter((l) => String(l.path).startsWith('/during-drain/'))
    await waitFor(() => lines().length === 6)

    expect(h.relay.registry.list('app')).toContain(busy)
    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200, 200])
    expect(lines().every((line) => line.connectorId !== drainer.connectorId)).toBe(true)
    hung.destroy()
    await drained
  })
})

function dataDirOf(h: TunnelHarness): string {
  return `${h.dataDir}/state`
}
