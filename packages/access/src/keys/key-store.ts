import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { calculateJwkThumbprint, type JWK } from 'jose'

import { AccessError, AccessErrorCode } from '../errors.js'

/** The algorithm of every key Keyway signs with. */
export const signingAlgorithm = 'ES256'

/** A key the relay signs with or has signed with. */
export interface SigningKey {
  readonly kid: string
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly publicJwk: JWK
  readonly createdAtMs: number
}

/** Where signing keys live. The file store is the embedded default. */
export interface KeyStore {
  /** The newest key; a new one is made first when the newest is older than the rotation. */
  signingKey(): Promise<SigningKey>
  /** A published key by `kid`, or undefined (unknown or past its overlap period). */
  verificationKey(kid: string): Promise<KeyObject | undefined>
  /** Every published public key, newest first, as a JWKS document. */
  jwks(): Promise<{ keys: JWK[] }>
}

/** Options of {@link FileKeyStore.open}. */
export interface KeyStoreOptions {
  /** The key file is `<dataDir>/access-keys.json`, mode 0600. Omit to keep keys in memory. */
  readonly dataDir?: string | undefined
  /** A key is replaced once it is this old. */
  readonly rotationMs: number
  /** A replaced key stays published and accepted this long after its successor appeared. */
  readonly overlapMs: number
  readonly nowMs?: () => number
}

interface StoredKey {
  kid: string
  privateJwk: JWK
  createdAtMs: number
}

/**
 * ES256 signing keys kept in one JSON file under `dataDir` (mode 0600), rotated on schedule.
 * Every published key is accepted for verification; a retired key is dropped once its
 * successor is older than the overlap period.
 */
export class FileKeyStore implements KeyStore {
  readonly #file: string | undefined
  readonly #options: KeyStoreOptions
  readonly #nowMs: () => number
  #keys: SigningKey[]

  private constructor(file: string | undefined, options: KeyStoreOptions, keys: SigningKey[]) {
    this.#file = file
    this.#options = options
    this.#nowMs = options.nowMs ?? Date.now
    this.#keys = keys
  }

  /** Loads the key file (making the first key when there is none). */
  static async open(options: KeyStoreOptions): Promise<FileKeyStore> {
    if (!(options.rotationMs > 0) || !(options.overlapMs >= 0)) {
      throw new TypeError('key rotationMs must be > 0 and overlapMs >= 0')
    }
    const file = options.dataDir === undefined ? undefined
      : join(options.dataDir, 'access-keys.json')
    const keys = file === undefined ? [] : readKeyFile(file)
    const store = new FileKeyStore(file, options, keys)
    await store.signingKey()
    return store
  }

  async signingKey(): Promise<SigningKey> {
    const now = this.#nowMs()
    const newest = this.#keys[0]
    if (newest !== undefined && now - newest.createdAtMs < this.#options.rotationMs) return newest
    const key = await makeKey(now)
    this.#keys = [key, ...this.#keys]
    this.#prune(now)
    this.#save()
    return key
  }

  async verificationKey(kid: string): Promise<KeyObject | undefined> {
    this.#prune(this.#nowMs())
    return this.#keys.find((key) => key.kid === kid)?.publicKey
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    this.#prune(this.#nowMs())
    return { keys: this.#keys.map((key) => ({ ...key.publicJwk })) }
  }

  #prune(now: number): void {
    // Key i was retired when key i-1 (its successor) was made.
    const kept = this.#keys.filter((_, index) => {
      const successor = this.#keys[index - 1]
      return successor === undefined || now - successor.createdAtMs < this.#options.overlapMs
    })
    if (kept.length !== this.#keys.length) {
      this.#keys = kept
      this.#save()
    }
  }

  #save(): void {
    if (this.#file === undefined) return
    const stored: StoredKey[] = this.#keys.map((key) => ({
      kid: key.kid,
      privateJwk: key.privateKey.export({ format: 'jwk' }) as JWK,
      createdAtMs: key.createdAtMs,
    }))
    const temporary = `${this.#file}.${process.pid}.tmp`
    try {
      mkdirSync(join(this.#file, '..'), { recursive: true, mode: 0o700 })
      writeFileSync(temporary, `${JSON.stringify({ version: 1, keys: stored })}\n`, { mode: 0o600 })
      renameSync(temporary, this.#file)
    } catch (err) {
      throw new AccessError(AccessErrorCode.keyStore, `cannot write the key file ${this.#file}`,
        { cause: err })
    }
  }
}

async function makeKey(createdAtMs: number): Promise<SigningKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return toSigningKey(privateKey, publicKey, createdAtMs, undefined)
}

async function toSigningKey(
  privateKey: KeyObject,
  publicKey: KeyObject,
  createdAtMs: number,
  knownKid: string | undefined,
): Promise<SigningKey> {
  const jwk = publicKey.export({ format: 'jwk' }) as JWK
  const kid = knownKid ?? (await calculateJwkThumbprint(jwk, 'sha256'))
  const publicJwk = Object.freeze({ ...jwk, kid, alg: signingAlgorithm, use: 'sig' })
  return Object.freeze({ kid, privateKey, publicKey, publicJwk, createdAtMs })
}

function readKeyFile(file: string): SigningKey[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new AccessError(AccessErrorCode.keyStore, `cannot read the key file ${file}`,
      { cause: err })
  }
  try {
    const parsed = JSON.parse(text) as { keys: StoredKey[] }
    return parsed.keys
      .map((stored) => {
        const privateKey = createPrivateKey({ key: stored.privateJwk as never, format: 'jwk' })
        const jwk = createPublicKey(privateKey).export({ format: 'jwk' }) as JWK
        const publicJwk =
          Object.freeze({ ...jwk, kid: stored.kid, alg: signingAlgorithm, use: 'sig' })
        return Object.freeze({ kid: stored.kid, privateKey, publicKey: createPublicKey(privateKey),
          publicJwk, createdAtMs: stored.createdAtMs })
      })
      .sort((a, b) => b.createdAtMs - a.createdAtMs)
  } catch (err) {
    throw new AccessError(AccessErrorCode.keyStore, `the key file ${file} is not valid; move it ` +
      'away to make new keys (sessions signed with the old keys end)', { cause: err })
  }
}
