import { join } from 'node:path'
import { createAccessGate, validateAccessConfig, type AccessGate } from '@keyway/access'
import { startTcpEcho, tempDir, type TcpEcho, type TempDir } from '@keyway/testkit'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClientErrorCode, type ClientError } from '../src/errors.js'
import { openTcpTunnel } from '../src/tcp-tunnel.js'
import { startRelayHarness, type RelayHarness } from './support/relay-harness.js'

async function refusalOf(attempt: Promise<unknown>): Promise<ClientError> {
  try {
    await attempt
  } catch (err) {
    return err as ClientError
  }
  throw new Error('the attempt succeeded')
}

describe('TCP sessions through the real access gate', () => {
  let dir: TempDir
  let echo: TcpEcho
  let gate: AccessGate
  let h: RelayHarness
  let ci: { clientId: string; clientSecret: string }
  let other: { clientId: string; clientSecret: string }

  beforeAll(async () => {
    dir = tempDir('keyway-client-gate-')
    echo = await startTcpEcho()
    const config = validateAccessConfig(
      {
        authDomain: 'auth.localhost',
        // Never contacted: these tests use service tokens only.
        identityProviders: [{ id: 'corp', type: 'oidc', issuer: 'http://127.0.0.1:9',
          clientId: 'keyway', clientSecret: 'unused' }],
        apps: [
          {
            name: 'ssh',
            domains: ['ssh.localhost'],
            policies: [
              { name: 'ci', action: 'service_auth', include: [{ serviceToken: ['ci'] }] },
              { name: 'ops', action: 'allow', include: [{ email: ['ops@example.test'] }] },
            ],
          },
        ],
      },
      join(dir.path, 'relay.yaml'),
    )
    gate = await createAccessGate({ config, dataDir: dir.path, logger: pino({ level: 'silent' }) })
    ci = await gate.serviceTokens.create('ci')
    other = await gate.serviceTokens.create('other')
    h = await startRelayHarness({ ssh: `tcp://127.0.0.1:${echo.port}` }, { gate })
  })
  afterAll(async () => {
    await h?.close()
    await gate?.close()
    await echo?.close()
    await dir?.remove()
  })

  it('carries a session for a service token a service_auth policy names', async () => {
    const tunnel = await openTcpTunnel(h.urlOf('ssh'), { kind: 'service-token', ...ci })
    const chunks: Buffer[] = []
    tunnel.on('data', (chunk: Buffer) => chunks.push(chunk))
    tunnel.end('through the gate\n')
    await new Promise((resolve) => tunnel.once('end', resolve))

    expect(Buffer.concat(chunks).toString()).toBe('through the gate\n')
    const records = await gate.audit({ app: 'ssh' })
    expect(records.some((r) => r.decision === 'service_token')).toBe(true)
  })

  it('denies a valid service token that no policy names', async () => {
    const err = await refusalOf(openTcpTunnel(h.urlOf('ssh'), { kind: 'service-token', ...other }))

    expect(err.code).toBe(ClientErrorCode.accessDenied)
    expect(err.status).toBe(403)
  })

  it('tells a client without credentials to log in', async () => {
    const err = await refusalOf(openTcpTunnel(h.urlOf('ssh'), undefined))

    expect(err.code).toBe(ClientErrorCode.notLoggedIn)
    expect(err.message).toContain(`run: keyway access login ${h.urlOf('ssh')}`)
  })

  it('denies a wrong service-token secret and names the token options', async () => {
    const err = await refusalOf(
      openTcpTunnel(h.urlOf('ssh'), { kind: 'service-token', clientId: ci.clientId,
        clientSecret: 'not-the-secret' }),
    )

    expect(err.code).toBe(ClientErrorCode.accessDenied)
    expect(err.message).toContain('check --service-token-id and --service-token-secret')
  })
})
