import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { auditDecisions } from '@keyway/access'
import { request, stopAll, tempDir, type TempDir } from '@keyway/testkit'

import { parseSince } from '../../src/commands/logs.js'
import { startAccessTunnel, writeAccessRelayConfig } from '../support/access-relay.js'
import { runKeyway } from '../support/keyway.js'
import { writeRelayConfig, type HeldOrigin } from '../support/tunnel-setup.js'

let dir: TempDir
let config: string
let held: HeldOrigin | undefined

beforeEach(() => {
  dir = tempDir('keyway-cli-logs-')
  config = writeAccessRelayConfig(dir.path)
})

afterEach(async () => {
  await stopAll()
  await held?.origin.close()
  held = undefined
  await dir.remove()
})

type Row = Record<string, unknown>

async function logs(...args: string[]): Promise<Row[]> {
  const result = await runKeyway(['logs', '--config', config, '--json', ...args])
  if (result.code !== 0) throw new Error(`keyway logs failed: ${result.stderr}`)
  const text = result.stdout.trim()
  return text === '' ? [] : text.split('\n').map((line) => JSON.parse(line) as Row)
}

const xhr = { accept: 'application/json' }

describe('keyway logs', () => {
  it('lists the decisions of a running relay, oldest first, with each filter', async () => {
    const tunnel = await startAccessTunnel(dir.path, config)
    held = tunnel.held
    await request(`${tunnel.url}/home`)
    await request(`${tunnel.url}/admin/users`, { headers: xhr })
    await request(`${tunnel.url}/api/x`, { headers: xhr })

    const all = await logs()
    const admin = await logs('--app', 'admin')
    const publicOnes = await logs('--decision', 'public')
    const recent = await logs('--since', '10m')
    const future = await logs('--since', '2999-01-01')
    const newest = await logs('--limit', '1')
    const nobody = await logs('--user', 'alice@example.test')
    const text = await runKeyway(['logs', '--config', config, '--app', 'admin'])
    const line = await tunnel.relay.handle.waitForJsonLine(
      (entry) => entry['msg'] === 'access decision' && entry['path'] === '/admin/users')

    expect(all.map((row) => [row['app'], row['path'], row['decision']])).toEqual([
      ['site', '/home', 'public'],
      ['admin', '/admin/users', 'deny'],
      ['api', '/api/x', 'deny'],
    ])
    expect(all[1]).toMatchObject({ method: 'GET', host: 'web.localhost', email: null,
      clientIp: expect.stringMatching(/127\.0\.0\.1/), policy: null,
      reason: 'login_required', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
    expect(admin.map((row) => row['path'])).toEqual(['/admin/users'])
    expect(publicOnes.map((row) => row['path'])).toEqual(['/home'])
    expect(recent).toHaveLength(3)
    expect(future).toEqual([])
    expect(newest.map((row) => row['path'])).toEqual(['/api/x'])
    expect(nobody).toEqual([])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+Z {2}deny +admin {2}- {2}\S+ {2}GET /)
    expect(text.stdout).toContain('GET web.localhost/admin/users  policy=-  reason=login_required')
    expect(line).toMatchObject({ level: 30, app: 'admin', decision: 'deny',
      reason: 'login_required', method: 'GET', host: 'web.localhost',
      reqId: all[1]?.['reqId'] })
  })

  it('loses no answered decision when the relay is killed with SIGKILL', async () => {
    const tunnel = await startAccessTunnel(dir.path, config)
    held = tunnel.held
    const paths = Array.from({ length: 40 }, (_, index) => `/page-${index}`)
    const answers = []
    for (const path of paths) answers.push(await request(`${tunnel.url}${path}`))

    tunnel.relay.handle.kill('SIGKILL')
    const exit = await tunnel.relay.handle.waitForExit()
    const rows = await logs('--app', 'site')

    expect(answers.every((answer) => answer.status === 200)).toBe(true)
    expect(exit.signal).toBe('SIGKILL')
    expect(rows.map((row) => row['path'])).toEqual(paths)
  })

  it('says so when nothing matches, and exits 2 on an unknown decision', async () => {
    const none = await runKeyway(['logs', '--config', config])
    const bad = await runKeyway(['logs', '--config', config, '--decision', 'maybe'])
    const badSince = await runKeyway(['logs', '--config', config, '--since', 'yesterday'])

    expect(none.code).toBe(0)
    expect(none.stdout).toBe('no audit records match')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("argument 'maybe' is invalid")
    expect(badSince.code).toBe(2)
    expect(badSince.stderr).toContain('expected a duration back from now')
  })

  it('exits 1 when relay.yaml has no access section', async () => {
    config = writeRelayConfig(dir.path)
    const result = await runKeyway(['logs', '--config', config])

    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`${config} has no "access" section`)
  })

  it('offers every decision the access layer records', async () => {
    const help = await runKeyway(['logs', '--help'])
    const choices = /choices: ([^)]*)\)/.exec(help.stdout.replace(/\s+/g, ' '))?.[1]

    expect(choices?.split(', ').map((choice) => choice.replace(/"/g, ''))).toEqual([
      ...auditDecisions,
    ])
  })
})

describe('parseSince', () => {
  const nowMs = Date.parse('2026-12-04T08:00:00Z')

  it.each([
    ['15m', '2026-12-04T07:45:00.000Z'],
    ['1h30m', '2026-12-04T06:30:00.000Z'],
    ['2d', '2026-12-02T08:00:00.000Z'],
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-04T07:00:00Z', '2026-12-04T07:00:00.000Z'],
  ])('reads %s', (value, expected) => {
    expect(new Date(parseSince(value, nowMs)).toISOString()).toBe(expected)
  })

  it.each([['yesterday'], ['15'], ['-5m'], ['2026-13-45']])('refuses %s', (value) => {
    expect(() => parseSince(value, nowMs)).toThrow('expected a duration back from now')
  })
})
