import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { request, stopAll, tempDir, type TempDir } from '@keyway/testkit'

import { startAccessTunnel, writeAccessRelayConfig } from '../support/access-relay.js'
import { runKeyway } from '../support/keyway.js'
import { writeRelayConfig, type HeldOrigin } from '../support/tunnel-setup.js'

let dir: TempDir
let config: string
let held: HeldOrigin | undefined

beforeEach(() => {
  dir = tempDir('keyway-cli-service-token-')
  config = writeAccessRelayConfig(dir.path)
})

afterEach(async () => {
  await stopAll()
  await held?.origin.close()
  held = undefined
  await dir.remove()
})

function serviceToken(...args: string[]) {
  return runKeyway(['access', 'service-token', ...args, '--config', config])
}

function printed(stdout: string): { clientId: string; clientSecret: string } {
  const clientId = /^Keyway-Access-Client-Id: (\S+)$/m.exec(stdout)?.[1] ?? ''
  const clientSecret = /^Keyway-Access-Client-Secret: (\S+)$/m.exec(stdout)?.[1] ?? ''
  return { clientId, clientSecret }
}

describe('keyway access service-token', () => {
  describe('create', () => {
    it('prints a client id and secret once and stores only a hash', async () => {
      const created = await serviceToken('create', 'ci')
      const { clientId, clientSecret } = printed(created.stdout)
      const listed = await serviceToken('list')
      const database = readFileSync(join(dir.path, 'relay-data', 'access.db'))

      expect(created.code).toBe(0)
      expect(created.stderr).toBe('')
      expect(clientId).toMatch(/^[0-9a-f]{32}\.access$/)
      expect(clientSecret).toMatch(/^[0-9a-f]{64}$/)
      expect(created.stdout).toContain('include: [{ serviceToken: [ci] }]')
      const row = new RegExp(`^ci +${clientId.replace('.', '\\.')}  \\d{4}-`, 'm')
      expect(listed.stdout).toMatch(row)
      expect(listed.stdout).not.toContain(clientSecret)
      expect(database.includes(clientId)).toBe(true)
      expect(database.includes(clientSecret)).toBe(false)
    })

    it('prints JSON with --json', async () => {
      const created = await serviceToken('create', 'deploy', '--json')
      const token = JSON.parse(created.stdout) as Record<string, string>

      expect(Object.keys(token).sort()).toEqual(['clientId', 'clientSecret', 'name'])
      expect(token['name']).toBe('deploy')
    })

    it('exits 1 when the name is taken, saying how to replace it', async () => {
      await serviceToken('create', 'ci')
      const again = await serviceToken('create', 'ci')

      expect(again.code).toBe(1)
      expect(again.stdout).toBe('')
      expect(again.stderr).toBe('error: service token "ci" already exists; remove it with ' +
        '"keyway access service-token remove ci" to make a new one')
    })

    it('exits 2 on a name policies could not use', async () => {
      const result = await serviceToken('create', 'bad name')

      expect(result.code).toBe(2)
      expect(result.stderr).toContain('service token name "bad name" is not valid')
    })

    it('exits 1 when relay.yaml has no access section', async () => {
      config = writeRelayConfig(dir.path)
      const result = await serviceToken('create', 'ci')

      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`${config} has no "access" section`)
    })
  })

  describe('list', () => {
    it('says when there are none, and prints JSON lines with --json', async () => {
      const empty = await serviceToken('list')
      await serviceToken('create', 'b-token')
      await serviceToken('create', 'a-token')
      const json = await serviceToken('list', '--json')
      const rows = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as object)

      expect(empty.stdout).toBe('no service tokens')
      expect(rows).toHaveLength(2)
      expect(rows.map((row) => (row as { name: string }).name)).toEqual(['a-token', 'b-token'])
      expect(Object.keys(rows[0] as object).sort()).toEqual(['clientId', 'createdAt', 'name'])
    })
  })

  describe('remove', () => {
    it('removes a token and exits 1 for one that does not exist', async () => {
      await serviceToken('create', 'ci')
      const removed = await serviceToken('remove', 'ci')
      const again = await serviceToken('remove', 'ci')
      const listed = await serviceToken('list')

      expect(removed.code).toBe(0)
      expect(removed.stdout).toContain('service token "ci" removed')
      expect(again.code).toBe(1)
      expect(again.stderr).toContain('there is no service token "ci"')
      expect(listed.stdout).toBe('no service tokens')
    })
  })

  it('admits the created token at a running relay and refuses it once removed', async () => {
    const tunnel = await startAccessTunnel(dir.path, config)
    held = tunnel.held
    const { clientId, clientSecret } = printed((await serviceToken('create', 'ci')).stdout)
    const headers = {
      'Keyway-Access-Client-Id': clientId,
      'Keyway-Access-Client-Secret': clientSecret,
    }

    const admitted = await request(`${tunnel.url}/api/deploy`, { headers })
    const wrong = await request(`${tunnel.url}/api/deploy`, {
      headers: { ...headers, 'Keyway-Access-Client-Secret': '0'.repeat(64) },
    })
    const elsewhere = await request(`${tunnel.url}/admin/`, {
      headers: { ...headers, accept: 'application/json' },
    })
    await serviceToken('remove', 'ci')
    const removed = await request(`${tunnel.url}/api/deploy`, { headers })

    expect(admitted.status).toBe(200)
    expect(admitted.text()).toBe('ok')
    expect(wrong.status).toBe(403)
    expect(elsewhere.status).toBe(403)
    expect(removed.status).toBe(403)
    expect(tunnel.relay.handle.output()).not.toContain(clientSecret)
  })
})
