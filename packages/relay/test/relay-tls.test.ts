import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import * as https from 'node:https'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { TUNNEL_SUBPROTOCOL, PROTOCOL_VERSION } from '@keyway/protocol'
import { startRelay, type Relay } from '../src/relay.js'
import { TunnelTokens } from '../src/tunnel-tokens.js'
import { validateRelayConfig } from '../src/validate-config.js'
import { captureLog } from './support/log-sink.js'

describe('startRelay with TLS', () => {
  let dir: string
  let relay: Relay

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'keyway-relay-tls-'))
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=relay.test', '-addext', 'subjectAltName=DNS:idle.test',
    ], { stdio: 'ignore' })
    const tls = { cert: 'cert.pem', key: 'key.pem' }
    const config = validateRelayConfig(
      {
        listen: '127.0.0.1:0',
        tls,
        tunnelListen: '127.0.0.1:0',
        tunnelTls: tls,
        dataDir: 'state',
        tunnels: [{ name: 'idle', hostnames: ['idle.test'] }],
      },
      path.join(dir, 'relay.yaml'),
    )
    relay = await startRelay({ config, logger: captureLog().logger })
  })
  afterAll(async () => {
    await relay?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves the public listener over HTTPS', async () => {
    const req = https.get({
      host: '127.0.0.1',
      port: relay.publicAddress.port,
      servername: 'idle.test',
      headers: { host: 'idle.test' },
      rejectUnauthorized: false,
      agent: false,
    })
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage]
    res.resume()

    expect(relay.publicUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(res.statusCode).toBe(503)
  })

  it('accepts tunnel dials over wss', async () => {
    expect(relay.tunnelUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/_keyway\/tunnel$/)
    const token = TunnelTokens.open(path.join(dir, 'state')).tokenFor('idle')
    const ws = new WebSocket(relay.tunnelUrl, TUNNEL_SUBPROTOCOL, {
      headers: {
        authorization: `Bearer ${token}`,
        'keyway-protocol-version': String(PROTOCOL_VERSION),
      },
      rejectUnauthorized: false,
    })
    await once(ws, 'open')
    ws.terminate()

    expect(ws.protocol).toBe(TUNNEL_SUBPROTOCOL)
  })

  it('fails to start with a clear error when a TLS file is missing', async () => {
    const config = validateRelayConfig(
      {
        listen: '127.0.0.1:0',
        tls: { cert: 'nope.pem', key: 'key.pem' },
        tunnelListen: '127.0.0.1:0',
        dataDir: 'state',
        tunnels: [],
      },
      path.join(dir, 'relay.yaml'),
    )

    await expect(startRelay({ config, logger: captureLog().logger })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      message: expect.stringContaining('"tls" file cannot be read (ENOENT)'),
    })
  })

  it('fails to start with a clear error for a TLS file not PEM or a key not matching', async () => {
    writeFileSync(path.join(dir, 'garbage.pem'), 'not a certificate\n')
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout',
      '-out', path.join(dir, 'other-key.pem')], { stdio: 'ignore' })
    const attempts = [
      { tunnelTls: { cert: 'garbage.pem', key: 'key.pem' } },
      { tunnelTls: { cert: 'cert.pem', key: 'other-key.pem' } },
    ]
    for (const tls of attempts) {
      const config = validateRelayConfig(
        { listen: '127.0.0.1:0', tunnelListen: '127.0.0.1:0', dataDir: 'state', tunnels: [],
          ...tls },
        path.join(dir, 'relay.yaml'),
      )

      await expect(startRelay({ config, logger: captureLog().logger })).rejects.toMatchObject({
        code: 'ERR_CONFIG',
        message: expect.stringMatching(
          /^"tunnelTls" files are not a usable certificate and key \(.+\); "tunnelTls\.cert"/),
      })
    }
  })
})
