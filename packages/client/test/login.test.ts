import { spawn } from 'node:child_process'
import { existsSync, statSync, writeFileSync, mkdirSync, utimesSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir, type TempDir } from '@keyway/testkit'
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { ClientErrorCode, isClientError } from '../src/errors.js'
import { CLI_LOGIN_PATH, login } from '../src/login.js'
import { TokenCache } from '../src/token-cache.js'
import { fakeBrowser, get, type FakeBrowserVisit } from './support/fake-browser.js'

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const exp = Math.floor(Date.now() / 1000) + 600
  return `${part({ alg: 'ES256' })}.${part({ exp, ...claims })}.c2ln`
}

const here = dirname(fileURLToPath(import.meta.url))

describe('login', () => {
  let dir: TempDir
  let home: string

  beforeEach(() => {
    dir = tempDir('keyway-client-login-')
    home = join(dir.path, '.keyway')
  })
  afterEach(async () => {
    await dir.remove()
  })

  it('opens the relay login for the app and stores the token it receives', async () => {
    const token = jwt({ sub: 'alice' })
    const visits: FakeBrowserVisit[] = []

    const result = await login('http://ssh.localhost:8080', {
      home,
      openBrowser: fakeBrowser((nonce) => ({ token, nonce }), { visits }),
    })

    const cache = new TokenCache({ home })
    expect(result).toBe(token)
    expect(cache.read('http://ssh.localhost:8080')?.token).toBe(token)
    expect(statSync(cache.tokenPath('http://ssh.localhost:8080')).mode & 0o777).toBe(0o600)
    expect(visits[0]?.status).toBe(200)
    const loginUrl = visits[0]?.loginUrl
    expect(loginUrl?.origin).toBe('http://ssh.localhost:8080')
    expect(loginUrl?.pathname).toBe(CLI_LOGIN_PATH)
    expect(loginUrl?.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('returns a valid cached token without a login unless forced', async () => {
    const cached = jwt({ n: 1 })
    new TokenCache({ home }).write('ssh.example.com', cached)
    let opened = 0
    const fresh = jwt({ n: 2 })
    const openBrowser = fakeBrowser((nonce) => {
      opened++
      return { token: fresh, nonce }
    })

    const first = await login('ssh.example.com', { home, openBrowser })
    const forced = await login('ssh.example.com', { home, openBrowser, force: true })

    expect(first).toBe(cached)
    expect(forced).toBe(fresh)
    expect(opened).toBe(1)
  })

  it('ignores a callback with the wrong nonce and keeps waiting for the right one', async () => {
    const token = jwt({ sub: 'alice' })
    const statuses: number[] = []
    const openBrowser = async (url: string) => {
      const login = new URL(url)
      const port = login.searchParams.get('port')
      const planted = jwt({ sub: 'mallory' })
      statuses.push(await get(`http://127.0.0.1:${port}/callback?token=${planted}&nonce=guess`))
      const nonce = login.searchParams.get('nonce') ?? ''
      statuses.push(await get(`http://127.0.0.1:${port}/callback?token=${token}&nonce=${nonce}`))
    }

    const result = await login('ssh.example.com', { home, openBrowser })

    expect(result).toBe(token)
    expect(statuses).toEqual([400, 200])
  })

  it('fails with ERR_ACCESS_DENIED when the policy refuses the user', async () => {
    const attempt = login('ssh.example.com', {
      home,
      openBrowser: fakeBrowser((nonce) => ({ error: 'access_denied', nonce })),
    })

    await expect(attempt).rejects.toMatchObject({
      code: ClientErrorCode.accessDenied,
      message: 'the login for ssh.example.com failed: access denied by policy',
    })
    expect(new TokenCache({ home }).read('ssh.example.com')).toBeUndefined()
  })

  it('fails with ERR_LOGIN_FAILED when the relay answers with another error', async () => {
    const attempt = login('ssh.example.com', {
      home,
      openBrowser: fakeBrowser((nonce) => ({ error: 'server_error', nonce })),
    })

    await expect(attempt).rejects.toMatchObject({
      code: ClientErrorCode.loginFailed,
      message: 'the login for ssh.example.com failed: server_error',
    })
  })

  it('fails with ERR_LOGIN_TIMEOUT when the browser never comes back', async () => {
    let caught: unknown
    try {
      await login('ssh.example.com', { home, openBrowser: () => {}, loginTimeoutMs: 200 })
    } catch (err) {
      caught = err
    }

    expect(isClientError(caught, ClientErrorCode.loginTimeout)).toBe(true)
    expect(existsSync(new TokenCache({ home }).lockPath('ssh.example.com'))).toBe(false)
  })

  describe('lock', () => {
    it('shares one browser login between two concurrent callers', async () => {
      const token = jwt({ sub: 'alice' })
      let opened = 0
      const openBrowser = fakeBrowser(
        (nonce) => {
          opened++
          return { token, nonce }
        },
        { delayMs: 300 },
      )

      const [first, second] = await Promise.all([
        login('ssh.example.com', { home, openBrowser }),
        login('ssh.example.com', { home, openBrowser, pollMs: 20 }),
      ])

      expect(first).toBe(token)
      expect(second).toBe(token)
      expect(opened).toBe(1)
    })

    it('waits for a login running in another process and reads its token', async () => {
      const token = jwt({ sub: 'from-child' })
      const cache = new TokenCache({ home })
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(here, 'support', 'login-child.ts'),
          'ssh.example.com', home, token, '500'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      onTestFinished(() => {
        child.kill()
      })
      const childOutput = new Promise<string>((resolve) => {
        let text = ''
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()))
        child.once('close', () => resolve(text.trim()))
      })
      const deadline = Date.now() + 15_000
      while (!existsSync(cache.lockPath('ssh.example.com'))) {
        if (Date.now() > deadline) throw new Error('the child took no lock')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      let opened = 0

      const result = await login('ssh.example.com', {
        home,
        pollMs: 20,
        openBrowser: () => {
          opened++
        },
      })

      expect(result).toBe(token)
      expect(opened).toBe(0)
      expect(await childOutput).toBe(token)
    })

    it('takes over a lock left by a process that is gone', async () => {
      const cache = new TokenCache({ home })
      const lockPath = cache.lockPath('ssh.example.com')
      mkdirSync(dirname(lockPath), { recursive: true })
      // Process ids are below 2^22 on Linux: this one cannot exist.
      writeFileSync(lockPath, JSON.stringify({ pid: 2 ** 30, startedAtMs: Date.now() }))
      const token = jwt({ sub: 'alice' })

      const result = await login('ssh.example.com', {
        home,
        pollMs: 20,
        openBrowser: fakeBrowser((nonce) => ({ token, nonce })),
      })

      expect(result).toBe(token)
      expect(existsSync(lockPath)).toBe(false)
    })

    it('fails with a token cache error, not a crash, when the lock path is an old folder',
      async () => {
        const cache = new TokenCache({ home })
        const lockPath = cache.lockPath('ssh.example.com')
        mkdirSync(lockPath, { recursive: true })
        const hourAgo = new Date(Date.now() - 3_600_000)
        utimesSync(lockPath, hourAgo, hourAgo)
        let opened = 0

        const failure = await login('ssh.example.com', {
          home,
          pollMs: 20,
          openBrowser: () => {
            opened++
          },
        }).catch((err: unknown) => err)

        expect(isClientError(failure)).toBe(true)
        expect((failure as { code?: string }).code).toBe(ClientErrorCode.tokenCache)
        expect((failure as Error).message).toContain(
          `cannot remove the stale login lock "${lockPath}"`,
        )
        expect(opened).toBe(0)
      })
  })
})
