import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { stopAll, tempDir, type TempDir } from '@keyway/testkit'

import { runKeyway, startKeyway } from '../support/keyway.js'
import {
  issueToken,
  logged,
  startRelayProcess,
  testTunnel,
  writeConnectorConfig,
  writeRelayConfig,
} from '../support/tunnel-setup.js'

const tokenPattern = /^keyway1\.web\.[A-Za-z0-9_-]{43}$/

let dir: TempDir
let config: string

beforeEach(() => {
  dir = tempDir('keyway-cli-token-')
  config = writeRelayConfig(dir.path)
})

afterEach(async () => {
  await stopAll()
  await dir.remove()
})

describe('keyway tunnel token', () => {
  it('prints only the token and the same one every time', async () => {
    const first = await runKeyway(['tunnel', 'token', testTunnel.name, '--config', config])
    const second = await runKeyway(['tunnel', 'token', testTunnel.name, '--config', config])

    expect(first.code).toBe(0)
    expect(first.stderr).toBe('')
    expect(first.stdout).toMatch(tokenPattern)
    expect(second.stdout).toBe(first.stdout)
  })

  it('exits 1 naming the tunnels of the config for an unknown tunnel', async () => {
    const result = await runKeyway(['tunnel', 'token', 'nope', '--config', config])

    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(
      `error: tunnel "nope" is not in ${config} (it lists web); add it under "tunnels" with ` +
        'its hostnames, or check the spelling',
    )
  })

  it('exits 1 with the config problems for a bad relay config', async () => {
    const result = await runKeyway(['tunnel', 'token', 'web', '--config', `${dir.path}/none.yaml`])

    expect(result.code).toBe(1)
    expect(result.stderr).toContain('none.yaml: cannot read the file (ENOENT); check the path')
  })
})

describe('keyway tunnel rotate', () => {
  it('prints a new token that `token` prints from then on', async () => {
    const before = await issueToken(dir.path, config)

    const rotated = await runKeyway(['tunnel', 'rotate', testTunnel.name, '--config', config])
    const after = await runKeyway(['tunnel', 'token', testTunnel.name, '--config', config])

    expect(rotated.code).toBe(0)
    expect(rotated.stdout).toMatch(tokenPattern)
    expect(rotated.stdout).not.toBe(before.token)
    expect(after.stdout).toBe(rotated.stdout)
  })

  it('makes a running relay refuse the old token at the next dial', async () => {
    const relay = await startRelayProcess(config)
    const old = await issueToken(dir.path, config)
    const fresh = await issueToken(dir.path, config, 'rotate')
    const connectorConfig = writeConnectorConfig(dir.path, relay.tunnelUrl, 'http_status:204')

    const run = ['tunnel', 'run', '-c', connectorConfig, '--token-file']
    const withOld = startKeyway([...run, old.file])
    const refused = await logged(withOld, 'tunnel token rejected')
    const withNew = startKeyway([...run, fresh.file])
    await logged(withNew, 'tunnel registered')

    expect(refused['status']).toBe(401)
    expect(withOld.output()).not.toContain(old.token.split('.')[2])
  })
})
