import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  runXfreerdpAuthOnly,
  startRdpShadow,
  stopAll,
  tempDir,
  type RdpShadow,
  type TempDir,
} from '@keyway/testkit'

import { startKeyway } from './support/keyway-process.js'
import { loginAs, startTcpAppStack, userHome, type TcpAppStack } from './support/tcp-app-stack.js'

const rdpUser = 'rdpuser'
const rdpPassword = 'Rdp-Test-Pass1'
let rdpDir: TempDir
let shadow: RdpShadow
let stack: TcpAppStack
let localPort: number

beforeAll(async () => {
  rdpDir = tempDir('keyway-e2e-rdp-')
  shadow = await startRdpShadow({ dir: rdpDir.path, user: rdpUser, password: rdpPassword })
  stack = await startTcpAppStack({
    apps: [{
      name: 'rdp',
      service: `rdp://127.0.0.1:${shadow.port}`,
      policies: [{ name: 'staff', action: 'allow', include: [{ email: ['alice@example.test'] }] }],
    }],
  })
  const home = userHome(stack, 'alice')
  await loginAs(stack, 'rdp', 'alice', home)
  const tcp = startKeyway(
    ['access', 'tcp', '--hostname', stack.appUrl('rdp'), '--listen', '127.0.0.1:0'],
    'access tcp rdp',
    { KEYWAY_HOME: home, KEYWAY_SERVICE_TOKEN_ID: undefined, BROWSER: undefined },
  )
  const line = await tcp.waitForLine(/^keyway: listening on /, { stream: 'stderr' })
  localPort = Number(/:(\d+) for /.exec(line)?.[1])
}, 120_000)

afterAll(async () => {
  await stopAll()
  await shadow?.stop()
  await stack?.dir.remove()
  await rdpDir?.remove()
})

describe('RDP through keyway access tcp', () => {
  it('passes the TLS and NLA handshake of FreeRDP: the right password exits 0', async () => {
    const since = stack.relay.handle.log.nextSeq
    const result = await runXfreerdpAuthOnly({ port: localPort, user: rdpUser,
      password: rdpPassword })
    const session = await stack.relay.handle.waitForJsonLine(
      (entry) => entry['msg'] === 'tcp session', { since })

    expect(result.exitCode, result.output).toBe(0)
    expect(result.output).toContain('Authentication only, exit status 0')
    expect(session).toMatchObject({ app: 'rdp', user: 'alice@example.test', status: 101,
      clientIp: '127.0.0.1' })
    expect(session['bytesIn']).toBeGreaterThan(1_000)
    expect(session['bytesOut']).toBeGreaterThan(1_000)
  }, 90_000)

  it('carries the refusal of a wrong password: xfreerdp exits 147', async () => {
    const result = await runXfreerdpAuthOnly({ port: localPort, user: rdpUser,
      password: 'Wrong-Pass-9' })

    // 147: FreeRDP's authentication failure, after the NLA exchange with the server.
    expect(result.exitCode, result.output).toBe(147)
    expect(result.output).not.toContain('Authentication only, exit status 0')
  }, 90_000)
})
