import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/errors.js'
import { loadRelayConfig } from '../src/load-config.js'

describe('loadRelayConfig', () => {
  let dir: string

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'keyway-relay-config-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  const write = (text: string) => {
    const file = path.join(dir, 'relay.yaml')
    writeFileSync(file, text)
    return file
  }

  it('reads a YAML config with a wildcard hostname', async () => {
    const file = write(
      [
        'listen: 127.0.0.1:8080',
        'tunnelListen: 127.0.0.1:8081',
        'dataDir: state',
        'tunnels:',
        '  - name: app',
        "    hostnames: [app.localhost, '*.app.localhost']",
        'gracePeriodMs: 5000',
      ].join('\n'),
    )
    const config = await loadRelayConfig(file)

    expect(config.file).toBe(file)
    expect(config.dataDir).toBe(path.join(dir, 'state'))
    expect(config.tunnels).toEqual([
      { name: 'app', hostnames: ['app.localhost', '*.app.localhost'] },
    ])
    expect(config.gracePeriodMs).toBe(5000)
  })

  it('names the file when it cannot be read', async () => {
    const file = path.join(dir, 'missing.yaml')

    await expect(loadRelayConfig(file)).rejects.toThrow(
      `${file}: cannot read the file (ENOENT); check the path`,
    )
  })

  it('reports YAML syntax errors with line and column', async () => {
    const file = write('listen: [oops\n')
    const error = await loadRelayConfig(file).catch((err: unknown) => err)

    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).problems[0]).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: invalid YAML: `),
    )
  })

  it('reports a key given twice', async () => {
    const file = write('listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n')
    const error = (await loadRelayConfig(file).catch((err: unknown) => err)) as ConfigError

    expect(error.code).toBe('ERR_CONFIG')
    expect(error.problems.join('\n')).toContain('invalid YAML')
  })
})
