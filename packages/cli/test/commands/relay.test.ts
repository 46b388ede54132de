import { readFileSync } from 'node:fs'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { request, stopAll, tempDir, type TempDir } from '@keyway/testkit'

import { runKeyway, writeFile } from '../support/keyway.js'
import {
  logged,
  startRelayProcess,
  startTunnel,
  writeRelayConfig,
  type HeldOrigin,
} from '../support/tunnel-setup.js'

let dir: TempDir
let held: HeldOrigin | undefined

async function startTunnelHere() {
  const tunnel = await startTunnel(dir.path)
  held = tunnel.held
  return tunnel
}

beforeEach(() => {
  dir = tempDir('keyway-cli-relay-')
})

afterEach(async () => {
  await stopAll()
  await held?.origin.close()
  held = undefined
  await dir.remove()
})

const accessSection = `access:
  authDomain: auth.localhost
  identityProviders:
    - { id: corp, type: oidc, issuer: "http://127.0.0.1:9", clientId: keyway, clientSecret: x }
  apps:
    - name: web
      domains: [web.localhost]
      policies:
        - { name: staff, action: allow, include: [{ email: [ops@example.test] }] }
`

describe('keyway relay', () => {
  it('exits 1 on a config typo without listening', async () => {
    const config = writeFile(
      dir.path,
      'relay.yaml',
      `listen: 127.0.0.1:0\ntunelListen: 127.0.0.1:0\ndataDir: ${dir.path}/data\ntunnels: []\n`,
    )

    const result = await runKeyway(['relay', '--config', config])

    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.split('\n')).toEqual([
      `error: invalid relay config ${config} (2 problems):`,
      `  - ${config}: "tunelListen" is not a known key; did you mean "tunnelListen"?`,
      `  - ${config}: "tunnelListen" is required; write it as host:port, for example ` +
        '"tunnelListen: 0.0.0.0:8081"',
    ])
  })

  it('logs its URLs as JSON, drains on SIGTERM and exits 0', async () => {
    const relay = await startRelayProcess(writeRelayConfig(dir.path))

    relay.handle.kill('SIGTERM')
    const exit = await relay.handle.waitForExit()

    expect(exit.code).toBe(0)
    expect(relay.publicUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(relay.tunnelUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/_keyway\/tunnel$/)
    await logged(relay.handle, 'relay drained')
  })

  it('keeps serving on SIGHUP without an access section, saying nothing was reloaded', async () => {
    const { relay, url } = await startTunnelHere()
    const response = request(`${url}/held`)
    await held?.arrived

    relay.handle.kill('SIGHUP')
    await logged(relay.handle, 'nothing reloaded: relay.yaml had no "access" section at start; ' +
      'restart the relay to apply changes')
    held?.release('finished after SIGHUP')

    expect((await response).text()).toBe('finished after SIGHUP')
    expect(relay.handle.running).toBe(true)
  })

  it('lets a request under way finish after SIGTERM, then exits 0', async () => {
    const { relay, url } = await startTunnelHere()
    const response = request(`${url}/held`)
    await held?.arrived

    relay.handle.kill('SIGTERM')
    await logged(relay.handle, 'relay draining')
    held?.release('finished after the signal')

    expect((await response).text()).toBe('finished after the signal')
    expect((await relay.handle.waitForExit()).code).toBe(0)
  })

  it('exits 130 at once on a second signal while draining', async () => {
    const { relay, url } = await startTunnelHere()
    const response = request(`${url}/held`).catch((err: unknown) => err)
    await held?.arrived

    relay.handle.kill('SIGTERM')
    await logged(relay.handle, 'relay draining')
    relay.handle.kill('SIGINT')

    expect((await relay.handle.waitForExit(5_000)).code).toBe(130)
    await logged(relay.handle, 'second signal; exiting without draining')
    expect(await response).toBeInstanceOf(Error)
  })

  describe('access', () => {
    it('exits 1 on a problem in the access section without listening', async () => {
      const base = readFileSync(writeRelayConfig(dir.path), 'utf8')
      const config = writeFile(
        dir.path,
        'relay.yaml',
        base + accessSection.replace('authDomain:', 'authDomian:'),
      )

      const result = await runKeyway(['relay', '--config', config])

      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toContain(`${config}: "access.authDomian" is not a known key`)
      expect(result.stderr).toContain(`${config}: "access.authDomain" must be a non-empty string`)
    })

    it('puts the access gate in front of the routes and reloads it on SIGHUP', async () => {
      const base = readFileSync(writeRelayConfig(dir.path), 'utf8')
      const relay = await startRelayProcess(writeFile(dir.path, 'relay.yaml', base + accessSection))
      const port = new URL(relay.publicUrl).port

      const response = await request(`http://web.localhost:${port}/private`)
      relay.handle.kill('SIGHUP')
      await logged(relay.handle, 'access config reloaded')

      expect(response.status).toBe(302)
      expect(response.location?.href).toMatch(
        new RegExp(`^http://auth\\.localhost:${port}/\\.keyway/login\\?redirect_url=`),
      )
      expect(relay.handle.output()).not.toContain('no access gate configured')
    })
  })
})
