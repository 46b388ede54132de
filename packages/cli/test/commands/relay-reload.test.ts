import { readFileSync, renameSync } from 'node:fs'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { request, stopAll, tempDir, type TempDir } from '@keyway/testkit'

import {
  startAccessTunnel,
  testAccessSection,
  writeAccessRelayConfig,
  type AccessTunnel,
} from '../support/access-relay.js'
import { writeFile } from '../support/keyway.js'
import { logged } from '../support/tunnel-setup.js'

let dir: TempDir
let config: string
let tunnel: AccessTunnel | undefined

beforeEach(() => {
  dir = tempDir('keyway-cli-reload-')
  config = writeAccessRelayConfig(dir.path)
})

afterEach(async () => {
  await stopAll()
  await tunnel?.held.origin.close()
  tunnel = undefined
  await dir.remove()
})

const xhr = { accept: 'application/json' }

/** The test access section with `/admin` made public. */
const adminPublic = testAccessSection.replace(
  /( {4}- name: admin\n {6}domains: \[web\.localhost\/admin\]\n)[\s\S]*?(?= {4}- name: api)/,
  '$1      public: true\n',
)

/** relay.yaml as it is, with its access section replaced by `access`. */
function configWith(access: string): string {
  const text = readFileSync(config, 'utf8')
  return text.slice(0, text.indexOf('access:\n')) + access
}

/** Replaces relay.yaml the way editors do: write a new file, then rename it over the old. */
function replaceConfig(access: string): void {
  renameSync(writeFile(dir.path, 'relay.yaml.new', configWith(access)), config)
}

describe('keyway relay reloading relay.yaml when it changes', () => {
  it('swaps in a valid access section without dropping a request under way', async () => {
    tunnel = await startAccessTunnel(dir.path, config)
    const { relay, held, url } = tunnel
    const before = await request(`${url}/admin/users`, { headers: xhr })
    const underWay = request(`${url}/held`)
    await held.arrived
    const since = relay.handle.log.nextSeq

    replaceConfig(adminPublic)
    const reloaded = await logged(relay.handle, 'access config reloaded', since)
    const after = await request(`${url}/admin/users`, { headers: xhr })
    held.release('released')
    const finished = await underWay

    expect(adminPublic).not.toBe(testAccessSection)
    expect(before.status).toBe(401)
    expect(reloaded['trigger']).toBe('file')
    expect(after.status).toBe(200)
    expect(after.text()).toBe('ok')
    expect(finished.status).toBe(200)
    expect(finished.text()).toBe('released')
  })

  it('refuses an invalid section with its problems logged and keeps the old', async () => {
    tunnel = await startAccessTunnel(dir.path, config)
    const { relay, url } = tunnel
    const since = relay.handle.log.nextSeq

    writeFile(dir.path, 'relay.yaml',
      configWith(testAccessSection.replace('action: allow', 'action: permit')))
    const refused = await logged(relay.handle, 'access config not reloaded; keeping the old',
      since)
    const still = await request(`${url}/admin/users`, { headers: xhr })
    const site = await request(`${url}/home`)
    const beforeFix = relay.handle.log.nextSeq
    replaceConfig(adminPublic)
    await logged(relay.handle, 'access config reloaded', beforeFix)
    const fixed = await request(`${url}/admin/users`, { headers: xhr })

    expect(refused['trigger']).toBe('file')
    expect((refused['err'] as { problems: string[] }).problems).toEqual([
      `${config}: "access.apps[2].policies[1].action" must be one of allow, block, bypass, ` +
        'service_auth, got the string "permit"',
    ])
    expect(still.status).toBe(401)
    expect(site.status).toBe(200)
    expect(fixed.status).toBe(200)
  })

  it('still reloads on SIGHUP', async () => {
    tunnel = await startAccessTunnel(dir.path, config)
    const since = tunnel.relay.handle.log.nextSeq

    tunnel.relay.handle.kill('SIGHUP')
    const reloaded = await logged(tunnel.relay.handle, 'access config reloaded', since)

    expect(reloaded['trigger']).toBe('signal')
  })
})

describe('keyway relay reloading a change outside the access section', () => {
  it('reloads access and names the other keys that need a restart', async () => {
    tunnel = await startAccessTunnel(dir.path, config)
    const since = tunnel.relay.handle.log.nextSeq
    const text = readFileSync(config, 'utf8')

    renameSync(writeFile(dir.path, 'relay.yaml.new', `gracePeriodMs: 1234\n${text}`), config)
    const warning = await logged(tunnel.relay.handle,
      'only "access" is reloaded; restart the relay to apply the other changes', since)

    expect(warning['changed']).toEqual(['gracePeriodMs'])
    expect(tunnel.relay.handle.running).toBe(true)
  })
})
