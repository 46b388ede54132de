import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TOKEN_FILE, TunnelTokens } from '../src/tunnel-tokens.js'

describe('TunnelTokens', () => {
  let dir: string
  let dataDir: string

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'keyway-tokens-'))
    dataDir = path.join(dir, 'data')
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates the data folder with mode 0700 and the secrets file with mode 0600', () => {
    TunnelTokens.open(dataDir).tokenFor('app')

    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    expect(statSync(path.join(dataDir, TOKEN_FILE)).mode & 0o777).toBe(0o600)
  })

  describe('#tokenFor', () => {
    it('returns a keyway1 token with a 32-byte base64url secret, the same on every call', () => {
      const tokens = TunnelTokens.open(dataDir)
      const token = tokens.tokenFor('app')

      expect(token).toMatch(/^keyway1\.app\.[A-Za-z0-9_-]{43}$/)
      expect(tokens.tokenFor('app')).toBe(token)
      expect(TunnelTokens.open(dataDir).tokenFor('app')).toBe(token)
    })

    it('gives each tunnel its own secret', () => {
      const tokens = TunnelTokens.open(dataDir)

      expect(tokens.tokenFor('a').split('.')[2]).not.toBe(tokens.tokenFor('b').split('.')[2])
    })

    it('refuses a tunnel that is not configured', () => {
      const tokens = TunnelTokens.open(dataDir, { tunnels: ['app'] })

      expect(() => tokens.tokenFor('other')).toThrow(
        expect.objectContaining({ code: 'ERR_UNKNOWN_TUNNEL' }),
      )
    })
  })

  describe('#verify', () => {
    it('returns the tunnel of a valid token', () => {
      const tokens = TunnelTokens.open(dataDir)

      expect(tokens.verify(tokens.tokenFor('app'))).toBe('app')
    })

    it.each([
      ['an empty string', ''],
      ['another prefix', 'keyway2.app.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['a wrong secret', 'keyway1.app.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['a short secret', 'keyway1.app.AAAA'],
      ['too many parts', 'keyway1.app.x.y'],
      ['an unknown tunnel', 'keyway1.nobody.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ])('refuses %s', (_label, token) => {
      const tokens = TunnelTokens.open(dataDir)
      tokens.tokenFor('app')

      expect(tokens.verify(token)).toBeUndefined()
    })

    it('refuses a token whose secret differs in its last character only', () => {
      const tokens = TunnelTokens.open(dataDir)
      const token = tokens.tokenFor('app')
      const last = token.at(-1) === 'A' ? 'B' : 'A'

      expect(tokens.verify(token.slice(0, -1) + last)).toBeUndefined()
    })

    it('refuses the old token after a rotation made by another store', () => {
      const relaySide = TunnelTokens.open(dataDir)
      const old = relaySide.tokenFor('app')
      const fresh = TunnelTokens.open(dataDir).rotate('app')

      expect(relaySide.verify(old)).toBeUndefined()
      expect(relaySide.verify(fresh)).toBe('app')
      expect(fresh).not.toBe(old)
    })

    it('refuses a tunnel removed from the config', () => {
      const token = TunnelTokens.open(dataDir).tokenFor('gone')

      expect(TunnelTokens.open(dataDir, { tunnels: ['app'] }).verify(token)).toBeUndefined()
    })

    it('refuses everything when the secrets file is not valid JSON', () => {
      const tokens = TunnelTokens.open(dataDir)
      const token = tokens.tokenFor('app')
      rmSync(path.join(dataDir, TOKEN_FILE))
      writeFileSync(path.join(dataDir, TOKEN_FILE), '{ not json')

      expect(tokens.verify(token)).toBeUndefined()
      expect(readFileSync(path.join(dataDir, TOKEN_FILE), 'utf8')).toBe('{ not json')
    })
  })
})
