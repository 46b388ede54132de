import { existsSync } from 'node:fs'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenCache } from '@keyway/client'
import { stopAll, tempDir, type TempDir } from '@keyway/testkit'

import { runKeyway } from '../support/keyway.js'

let dir: TempDir

beforeAll(() => {
  dir = tempDir('keyway-cli-access-')
})

afterAll(async () => {
  await stopAll()
  await dir.remove()
})

/** A JWT-shaped app token that expires in an hour (the cache reads only `exp`). */
function appToken(): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const exp = Math.floor(Date.now() / 1000) + 3600
  return `${part({ alg: 'ES256' })}.${part({ sub: 'alice', exp })}.c2ln`
}

describe('keyway access', () => {
  it.each([
    ['login without an app', ['login'], 'error: name the app: keyway access login URL'],
    ['login with two different apps', ['login', 'a.example.com', '--hostname', 'b.example.com'],
      'error: give the app as URL or as --hostname, not both'],
    ['half a service token', ['ssh', '--hostname', 'ssh.example.com', '--service-token-id', 'x'],
      'error: a service token needs both --service-token-id and --service-token-secret ' +
        '(or KEYWAY_SERVICE_TOKEN_ID and KEYWAY_SERVICE_TOKEN_SECRET)'],
    ['a malformed --listen', ['tcp', '--hostname', 'rdp.example.com', '--listen', 'x:y'],
      "error: 'listen' must be HOST:PORT or PORT, for example 127.0.0.1:3389; got \"x:y\""],
  ])('exits 2 with one line for %s', async (_case, args, message) => {
    const result = await runKeyway(['access', ...args])

    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(message)
    expect(result.code).toBe(2)
  })

  it('exits 2 when ssh has no --hostname', async () => {
    const result = await runKeyway(['access', 'ssh'])

    expect(result.stderr).toContain("required option '--hostname <host>' not specified")
    expect(result.code).toBe(2)
  })

  it('exits 1 naming the problem for a hostname that is not one', async () => {
    const result = await runKeyway(['access', 'ssh-config', '--hostname', 'ftp://x'])

    expect(result.stderr).toBe('error: invalid hostname "ftp://x": the scheme "ftp:" is ' +
      'neither http: nor https:; give the app hostname (ssh.example.com) or a URL ' +
      '(http://ssh.localhost:8080)')
    expect(result.code).toBe(1)
  })

  it('prints a cached token from $KEYWAY_HOME, by argument or by --hostname', async () => {
    const home = `${dir.path}/home`
    const token = appToken()
    new TokenCache({ home }).write('ssh.example.com', token)

    const byArgument = await runKeyway(['access', 'token', 'ssh.example.com'],
      { env: { KEYWAY_HOME: home } })
    const byFlag = await runKeyway(['access', 'token', '--hostname', 'https://ssh.example.com'],
      { env: { KEYWAY_HOME: home } })

    expect(byArgument).toMatchObject({ code: 0, stdout: token, stderr: '' })
    expect(byFlag).toMatchObject({ code: 0, stdout: token, stderr: '' })
  })

  it('fails login at once, with no browser, when the relay cannot be reached', async () => {
    const opened = `${dir.path}/browser-opened`
    const browser = `${process.execPath} -e "require('fs').writeFileSync('${opened}', '')"`

    const result = await runKeyway(['access', 'login', 'http://ssh.localhost:9'],
      { env: { KEYWAY_HOME: `${dir.path}/unreachable`, BROWSER: browser } })

    expect(result.stderr).toBe('error: cannot reach the relay for ssh.localhost:9 at ' +
      'ssh.localhost:9 (ECONNREFUSED); check the hostname and your network')
    expect(result.code).toBe(1)
    expect(existsSync(opened)).toBe(false)
  })

  it('prints the ssh_config block for a bare hostname with %h', async () => {
    const result = await runKeyway(['access', 'ssh-config', '--hostname', 'ssh.example.com'])

    expect(result.stdout).toBe('Host ssh.example.com\n  ProxyCommand keyway access ssh ' +
      '--hostname %h')
    expect(result.code).toBe(0)
  })
})
