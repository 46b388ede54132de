import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { FileKeyStore, TokenService } from '../../src/index.js'

const dir = mkdtempSync(join(tmpdir(), 'keyway-keys-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const day = 86_400_000

describe('FileKeyStore', () => {
  it('keeps its keys in a 0600 file and loads the same key again', async () => {
    const first = await FileKeyStore.open({ dataDir: dir, rotationMs: 30 * day, overlapMs: day })
    const file = join(dir, 'access-keys.json')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const again = await FileKeyStore.open({ dataDir: dir, rotationMs: 30 * day, overlapMs: day })
    expect((await again.signingKey()).kid).toBe((await first.signingKey()).kid)
    expect(readFileSync(file, 'utf8')).toContain('"d"')
  })

  it('rotates on schedule, publishes the previous key during the overlap, then drops it',
    async () => {
      let nowMs = Date.UTC(2026, 0, 1)
      const keys = await FileKeyStore.open({ rotationMs: 10 * day, overlapMs: day,
        nowMs: () => nowMs })
      const tokens = new TokenService({ keys, issuer: 'https://auth.example.test',
        nowMs: () => nowMs })
      const oldKid = (await keys.signingKey()).kid
      const aud = 'c'.repeat(64)
      const token = await tokens.sign({ type: 'app', aud, sub: 's', email: 'e@x', idp: 'i',
        sid: 'x', expiresAtMs: nowMs + 30 * day })

      nowMs += 10 * day
      const newKid = (await keys.signingKey()).kid
      expect(newKid).not.toBe(oldKid)
      expect((await keys.jwks()).keys.map((key) => key.kid)).toEqual([newKid, oldKid])
      expect((await tokens.verify(token, { audience: aud, type: 'app' })).ok).toBe(true)

      nowMs += day
      expect((await keys.jwks()).keys.map((key) => key.kid)).toEqual([newKid])
      expect(await tokens.verify(token, { audience: aud, type: 'app' }))
        .toEqual({ ok: false, reason: 'unknown_kid' })
    })

  it('publishes public keys only', async () => {
    const keys = await FileKeyStore.open({ rotationMs: day, overlapMs: day })
    const [jwk] = (await keys.jwks()).keys
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(jwk).not.toHaveProperty('d')
  })
})
