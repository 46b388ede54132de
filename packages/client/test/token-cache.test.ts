import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, type TempDir } from '@keyway/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TokenCache, decodeTokenExpiry, readToken, requireToken } from '../src/token-cache.js'

function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'ES256' })}.${part(claims)}.c2ln`
}

const nowMs = Date.parse('2026-12-04T05:00:00Z')
const inSeconds = (seconds: number) => Math.floor(nowMs / 1000) + seconds

describe('TokenCache', () => {
  let dir: TempDir
  let home: string

  beforeEach(() => {
    dir = tempDir('keyway-client-cache-')
    home = join(dir.path, 'home', '.keyway')
  })
  afterEach(async () => {
    await dir.remove()
  })

  describe('#write', () => {
    it('creates the folders 0700 and the token file 0600 whatever the umask', () => {
      const cache = new TokenCache({ home, now: () => nowMs })
      const previous = process.umask(0o000)
      try {
        cache.write('ssh.example.com', jwt({ exp: inSeconds(600) }))
      } finally {
        process.umask(previous)
      }

      expect(statSync(home).mode & 0o777).toBe(0o700)
      expect(statSync(join(home, 'tokens')).mode & 0o777).toBe(0o700)
      expect(statSync(cache.tokenPath('ssh.example.com')).mode & 0o777).toBe(0o600)
    })

    it('narrows a cache folder that others can read', () => {
      mkdirSync(home, { recursive: true, mode: 0o755 })
      const cache = new TokenCache({ home, now: () => nowMs })

      cache.write('ssh.example.com', jwt({ exp: inSeconds(600) }))

      expect(statSync(home).mode & 0o777).toBe(0o700)
    })

    it('replaces the previous token of the same app', () => {
      const cache = new TokenCache({ home, now: () => nowMs })
      cache.write('ssh.example.com', jwt({ exp: inSeconds(600), n: 1 }))
      const second = jwt({ exp: inSeconds(600), n: 2 })

      cache.write('https://ssh.example.com:443/', second)

      expect(cache.read('ssh.example.com')?.token).toBe(second)
    })
  })

  describe('#read', () => {
    it('returns an unexpired token with its expiry', () => {
      const cache = new TokenCache({ home, now: () => nowMs })
      const token = jwt({ exp: inSeconds(600) })
      cache.write('http://ssh.localhost:8080', token)

      expect(cache.read('http://ssh.localhost:8080')).toEqual({
        token,
        expiresAtMs: inSeconds(600) * 1000,
      })
    })

    it('skips an expired token and one that expires within the skew', () => {
      const cache = new TokenCache({ home, now: () => nowMs, expirySkewMs: 30_000 })
      cache.write('a.example.com', jwt({ exp: inSeconds(-1) }))
      cache.write('b.example.com', jwt({ exp: inSeconds(20) }))
      cache.write('c.example.com', jwt({ exp: inSeconds(40) }))

      expect(cache.read('a.example.com')).toBeUndefined()
      expect(cache.read('b.example.com')).toBeUndefined()
      expect(cache.read('c.example.com')?.expiresAtMs).toBe(inSeconds(40) * 1000)
    })

    it('keeps apps apart by host and port', () => {
      const cache = new TokenCache({ home, now: () => nowMs })
      cache.write('http://ssh.localhost:8080', jwt({ exp: inSeconds(600) }))

      expect(cache.read('http://ssh.localhost:8081')).toBeUndefined()
      expect(cache.read('ssh.localhost')).toBeUndefined()
    })

    it('ignores a token file that is not JSON with a JWT', () => {
      const cache = new TokenCache({ home, now: () => nowMs })
      cache.write('ssh.example.com', jwt({ exp: inSeconds(600) }))
      writeFileSync(cache.tokenPath('ssh.example.com'), 'garbage')

      expect(cache.read('ssh.example.com')).toBeUndefined()
      expect(cache.read('never.example.com')).toBeUndefined()
    })

    it('stores the app URL next to the token', () => {
      const cache = new TokenCache({ home, now: () => nowMs })
      cache.write('ssh.example.com', jwt({ exp: inSeconds(600) }))

      const stored = JSON.parse(readFileSync(cache.tokenPath('ssh.example.com'), 'utf8'))
      expect(stored.url).toBe('https://ssh.example.com/')
    })
  })
})

describe('readToken', () => {
  it('reads the cached token of a hostname from the given home', async () => {
    const dir = tempDir('keyway-client-cache-')
    const token = jwt({ exp: Math.floor(Date.now() / 1000) + 600 })
    new TokenCache({ home: dir.path }).write('ssh.example.com', token)

    expect(readToken('ssh.example.com', { home: dir.path })).toBe(token)
    expect(readToken('rdp.example.com', { home: dir.path })).toBeUndefined()
    await dir.remove()
  })
})

describe('requireToken', () => {
  it('returns the cached token or says how to log in', async () => {
    const dir = tempDir('keyway-client-cache-')
    const token = jwt({ exp: Math.floor(Date.now() / 1000) + 600 })
    new TokenCache({ home: dir.path }).write('http://ssh.localhost:8080', token)

    expect(requireToken('http://ssh.localhost:8080', { home: dir.path })).toBe(token)
    expect(() => requireToken('rdp.example.com', { home: dir.path })).toThrow(
      'no valid token for rdp.example.com (not logged in, or the session expired); ' +
        'run: keyway access login https://rdp.example.com',
    )
    await dir.remove()
  })
})

describe('decodeTokenExpiry', () => {
  it.each([
    ['not a jwt', undefined],
    ['a.b.c', undefined],
    [jwt({ sub: 'x' }), undefined],
    [jwt({ exp: '123' }), undefined],
    [jwt({ exp: 123 }), 123_000],
  ])('decodes %s', (token, expected) => {
    expect(decodeTokenExpiry(token)).toBe(expected)
  })
})
