import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

import { AccessError, AccessErrorCode } from '../errors.js'
import type { ServiceTokenStore } from '../store/types.js'

/** Request headers a machine sends its service token in. */
export const serviceTokenHeaders = Object.freeze({
  clientId: 'keyway-access-client-id',
  clientSecret: 'keyway-access-client-secret',
})

/** A freshly made service token: the secret is shown once and never stored. */
export interface NewServiceToken {
  readonly name: string
  readonly clientId: string
  readonly clientSecret: string
}

const scryptParams = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
const hashBytes = 32
const maxCacheEntries = 1024
const cacheTtlMs = 60_000
const namePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/i

/**
 * Service tokens for machines: a client id and a secret, of which only a salted scrypt hash
 * is stored. Verification compares in constant time; a successful scrypt result is cached
 * briefly (keyed by a SHA-256 of id and secret) so that every request need not pay for it,
 * while the record is still looked up each time so removal takes effect at once.
 */
export class ServiceTokens {
  readonly #store: ServiceTokenStore
  readonly #nowMs: () => number
  readonly #verified = new Map<string, { hash: string; untilMs: number }>()

  constructor(options: { store: ServiceTokenStore; nowMs?: () => number }) {
    this.#store = options.store
    this.#nowMs = options.nowMs ?? Date.now
  }

  /** Makes a token named `name`; throws `ERR_SERVICE_TOKEN_EXISTS` if the name is taken. */
  async create(name: string): Promise<NewServiceToken> {
    if (!namePattern.test(name)) {
      throw new TypeError('service token names are letters, digits, ".", "-" and "_" (at most 63)')
    }
    if ((await this.#store.byName(name)) !== undefined) {
      throw new AccessError(AccessErrorCode.serviceTokenExists, `service token "${name}" exists; ` +
        'remove it first to make a new one')
    }
    const clientId = `${randomBytes(16).toString('hex')}.access`
    const clientSecret = randomBytes(32).toString('hex')
    const salt = randomBytes(16)
    const hash = await scryptAsync(clientSecret, salt)
    await this.#store.insert({
      name,
      clientId,
      salt: salt.toString('base64url'),
      hash: hash.toString('base64url'),
      createdAtMs: this.#nowMs(),
    })
    return { name, clientId, clientSecret }
  }

  /** Removes the token named `name`; false when there was none. */
  async remove(name: string): Promise<boolean> {
    this.#verified.clear()
    return this.#store.remove(name)
  }

  /** The name of the token with this id and secret, or undefined. Never throws for input. */
  async verify(clientId: string, clientSecret: string): Promise<string | undefined> {
    if (clientId.length > 128 || clientSecret.length > 256) return undefined
    const record = await this.#store.byClientId(clientId)
    if (record === undefined) return undefined
    const cacheKey = createHash('sha256').update(`${clientId}\n${clientSecret}`).digest('base64url')
    const cached = this.#verified.get(cacheKey)
    if (cached !== undefined && cached.untilMs > this.#nowMs() && cached.hash === record.hash) {
      return record.name
    }
    const expected = Buffer.from(record.hash, 'base64url')
    const actual = await scryptAsync(clientSecret, Buffer.from(record.salt, 'base64url'))
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined
    if (this.#verified.size >= maxCacheEntries) this.#verified.clear()
    this.#verified.set(cacheKey, { hash: record.hash, untilMs: this.#nowMs() + cacheTtlMs })
    return record.name
  }
}

function scryptAsync(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, hashBytes, scryptParams, (err, key) => (err ? reject(err) : resolve(key)))
  })
}
