import { createHmac, generateKeyPairSync } from 'node:crypto'

import { SignJWT, exportJWK, exportSPKI } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'

import { FileKeyStore, TokenService, type TokenRequest } from '../../src/index.js'

const issuer = 'https://auth.example.test'
const wikiAud = 'a'.repeat(64)
const blogAud = 'b'.repeat(64)
let nowMs = Date.UTC(2026, 0, 1)
let keys: FileKeyStore
let tokens: TokenService

const base: TokenRequest = { type: 'app', aud: wikiAud, sub: 'alice', email: 'alice@example.com',
  idp: 'corp', sid: 'session-1', expiresAtMs: nowMs + 3600_000 }

beforeAll(async () => {
  keys = await FileKeyStore.open({ rotationMs: 86_400_000, overlapMs: 3600_000,
    nowMs: () => nowMs })
  tokens = new TokenService({ keys, issuer, nowMs: () => nowMs })
})

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

describe('TokenService', () => {
  it('signs ES256 tokens with a kid that verify with every claim', async () => {
    const token = await tokens.sign(base)
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as
      Record<string, unknown>
    const kid = (await keys.signingKey()).kid
    expect(header).toEqual({ alg: 'ES256', kid, typ: 'JWT' })
    const result = await tokens.verify(token, { audience: wikiAud, type: 'app' })
    expect(result).toEqual({ ok: true, claims: { iss: issuer, aud: wikiAud, sub: 'alice',
      email: 'alice@example.com', idp: 'corp', sid: 'session-1', type: 'app',
      iat: nowMs / 1000, nbf: nowMs / 1000, exp: nowMs / 1000 + 3600 } })
  })

  it('rejects a token of another app', async () => {
    const token = await tokens.sign(base)
    expect(await tokens.verify(token, { audience: blogAud, type: 'app' }))
      .toEqual({ ok: false, reason: 'wrong_audience' })
  })

  it('rejects the auth-domain token at an app', async () => {
    const token = await tokens.sign({ ...base, type: 'auth' })
    expect(await tokens.verify(token, { audience: wikiAud, type: 'app' }))
      .toEqual({ ok: false, reason: 'wrong_type' })
  })

  it('rejects an identity assertion used as a session', async () => {
    const token = await tokens.sign({ ...base, type: 'assertion' })
    expect(await tokens.verify(token, { audience: wikiAud, type: 'app' }))
      .toEqual({ ok: false, reason: 'wrong_type' })
  })

  it('rejects an expired token', async () => {
    const token = await tokens.sign({ ...base, expiresAtMs: nowMs + 60_000 })
    nowMs += 120_000
    try {
      expect(await tokens.verify(token, { audience: wikiAud, type: 'app' }))
        .toEqual({ ok: false, reason: 'expired' })
    } finally {
      nowMs -= 120_000
    }
  })

  it('rejects a token from another issuer', async () => {
    const other = new TokenService({ keys, issuer: 'https://evil.example.test',
      nowMs: () => nowMs })
    const token = await other.sign(base)
    expect(await tokens.verify(token, { audience: wikiAud, type: 'app' }))
      .toEqual({ ok: false, reason: 'wrong_issuer' })
  })

  it('rejects alg none', async () => {
    const kid = (await keys.signingKey()).kid
    const payload = { iss: issuer, aud: wikiAud, sub: 'alice', email: 'a@x', idp: 'corp',
      sid: 's', type: 'app', iat: nowMs / 1000, nbf: nowMs / 1000, exp: nowMs / 1000 + 60 }
    const token = `${b64({ alg: 'none', kid })}.${b64(payload)}.`
    expect(await tokens.verify(token, { audience: wikiAud, type: 'app' }))
      .toEqual({ ok: false, reason: 'wrong_alg' })
  })

  it('rejects an HS256 token signed with the public key', async () => {
    const key = await keys.signingKey()
    const pem = await exportSPKI(key.publicKey)
    const payload = { iss: issuer, aud: wikiAud, sub: 'alice', email: 'a@x', idp: 'corp',
      sid: 's', type: 'app', iat: nowMs / 1000, nbf: nowMs / 1000, exp: nowMs / 1000 + 60 }
    const input = `${b64({ alg: 'HS256', kid: key.kid })}.${b64(payload)}`
    const mac = createHmac('sha256', pem).update(input).digest('base64url')
    expect(await tokens.verify(`${input}.${mac}`, { audience: wikiAud, type: 'app' }))
      .toEqual({ ok: false, reason: 'wrong_alg' })
  })

  it('rejects an unknown kid and a foreign key using a known kid', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const forge = (kid: string) => new SignJWT({ email: 'a@x', idp: 'corp', sid: 's', type: 'app' })
      .setProtectedHeader({ alg: 'ES256', kid }).setIssuer(issuer).setAudience(wikiAud)
      .setSubject('alice').setIssuedAt(nowMs / 1000).setNotBefore(nowMs / 1000)
      .setExpirationTime(nowMs / 1000 + 60).sign(privateKey)
    expect(await tokens.verify(await forge('nope'), { audience: wikiAud, type: 'app' }))
      .toEqual({ ok: false, reason: 'unknown_kid' })
    const known = (await keys.signingKey()).kid
    expect(await tokens.verify(await forge(known), { audience: wikiAud, type: 'app' }))
      .toEqual({ ok: false, reason: 'bad_signature' })
    expect((await exportJWK(privateKey)).kty).toBe('EC')
  })

  it.each(['', 'abc', 'a.b.c', 'x'.repeat(5000)])(
    'rejects the malformed token %#', async (token) => {
      expect(await tokens.verify(token, { audience: wikiAud, type: 'app' }))
        .toEqual({ ok: false, reason: 'malformed' })
    })
})
