import { stopAll, startRdpShadow, runXfreerdpAuthOnly, tempDir } from '@keyway/testkit'
import type { RdpShadow, TempDir } from '@keyway/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tcpListener, type TcpListener } from '../src/tcp-listener.js'
import { openTcpTunnel } from '../src/tcp-tunnel.js'
import { startRelayHarness, testCredentials, type RelayHarness } from './support/relay-harness.js'

describe('FreeRDP through tcpListener', () => {
  let dir: TempDir
  let rdp: RdpShadow
  let h: RelayHarness
  let listener: TcpListener
  const errors: unknown[] = []

  beforeAll(async () => {
    dir = tempDir('keyway-client-rdp-')
    rdp = await startRdpShadow({ dir: dir.path, user: 'rdpuser', password: 'Rdp-Test-Pass1' })
    h = await startRelayHarness({ rdp: `rdp://127.0.0.1:${rdp.port}` })
    listener = await tcpListener({
      listen: '127.0.0.1:0',
      connect: () =>
        openTcpTunnel(h.urlOf('rdp'), {
          kind: 'service-token',
          clientId: testCredentials.serviceId,
          clientSecret: testCredentials.serviceSecret,
        }),
      onError: (err) => errors.push(err),
    })
  }, 60_000)
  afterAll(async () => {
    await listener?.close()
    await h?.close()
    await stopAll()
    await dir?.remove()
  })

  it('completes the TLS and NLA handshake with the right password', async () => {
    const result = await runXfreerdpAuthOnly({
      port: listener.address.port,
      user: 'rdpuser',
      password: 'Rdp-Test-Pass1',
    })

    expect(result.exitCode).toBe(0)
    expect(errors).toEqual([])
  })

  it('fails the NLA handshake with a wrong password', async () => {
    const result = await runXfreerdpAuthOnly({
      port: listener.address.port,
      user: 'rdpuser',
      password: 'wrong-password',
    })

    // 147 is FreeRDP's NLA authentication failure, not a transport error.
    expect(result.exitCode).toBe(147)
  })
})
