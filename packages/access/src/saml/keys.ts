import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { certificateBody, createSelfSignedCertificate } from './certificate.js'
import { SamlError, SamlErrorCode } from './errors.js'

/** An RSA key of the identity provider with its self-signed certificate. */
export interface SamlSigningKey {
  /** SHA-256 fingerprint of the certificate, hex. */
  readonly id: string
  readonly privateKey: KeyObject
  readonly privateKeyPem: string
  readonly certificatePem: string
  /** The base64 DER body of the certificate, as metadata carries it. */
  readonly certificateBody: string
  readonly createdAtMs: number
  /** From this time on it signs; before it, it is only published as the next key. */
  readonly activatesAtMs: number
}

/** Options of {@link SamlKeyStore.open}. */
export interface SamlKeyStoreOptions {
  /** Keys are kept in `<dataDir>/saml-idp-keys.json`, mode 0600. Omit to keep them in memory. */
  readonly dataDir?: string | undefined
  /** A key signs this long before its successor takes over. Default 365 days. */
  readonly rotationMs?: number
  /** The successor is published in metadata this long before it signs. Default 30 days. */
  readonly overlapMs?: number
  /** Subject of the certificates. Default "Keyway SAML IdP". */
  readonly commonName?: string
  readonly nowMs?: () => number
}

/** Defaults of {@link SamlKeyStoreOptions}. */
export const samlKeyDefaults = Object.freeze({
  rotationMs: 365 * 24 * 3600_000,
  overlapMs: 30 * 24 * 3600_000,
  commonName: 'Keyway SAML IdP',
  fileName: 'saml-idp-keys.json',
  rsaModulusBits: 2048,
})

interface StoredKey {
  privateKeyPem: string
  certificatePem: string
  createdAtMs: number
  activatesAtMs: number
}

/**
 * The identity provider's RSA 2048 signing keys and self-signed SHA-256 certificates. One key
 * signs; its successor appears `overlapMs` before it takes over, and while both exist the
 * metadata publishes both certificates so that service providers can pick up the next one.
 */
export class SamlKeyStore {
  readonly #file: string | undefined
  readonly #rotationMs: number
  readonly #overlapMs: number
  readonly #commonName: string
  readonly #nowMs: () => number
  /** Oldest activation first. */
  #keys: SamlSigningKey[]

  private constructor(file: string | undefined, options: SamlKeyStoreOptions,
    keys: SamlSigningKey[]) {
    this.#file = file
    this.#rotationMs = options.rotationMs ?? samlKeyDefaults.rotationMs
    this.#overlapMs = options.overlapMs ?? samlKeyDefaults.overlapMs
    this.#commonName = options.commonName ?? samlKeyDefaults.commonName
    this.#nowMs = options.nowMs ?? Date.now
    this.#keys = keys
  }

  /** Loads the key file, making the first key when there is none. */
  static open(options: SamlKeyStoreOptions = {}): SamlKeyStore {
    const rotationMs = options.rotationMs ?? samlKeyDefaults.rotationMs
    const overlapMs = options.overlapMs ?? samlKeyDefaults.overlapMs
    if (!(rotationMs > 0) || !(overlapMs >= 0) || overlapMs >= rotationMs) {
      throw new TypeError('SAML key rotationMs must be > 0 and overlapMs in [0, rotationMs)')
    }
    const file = options.dataDir === undefined ? undefined
      : join(options.dataDir, samlKeyDefaults.fileName)
    const keys = file === undefined ? [] : readKeyFile(file)
    const store = new SamlKeyStore(file, options, keys)
    store.#refresh()
    return store
  }

  /** The key that signs now. */
  signingKey(): SamlSigningKey {
    const now = this.#refresh()
    const current = this.#keys.filter((key) => key.activatesAtMs <= now).at(-1)
    if (current === undefined) {
      throw new SamlError(SamlErrorCode.keyStore, 'no SAML signing key is active')
    }
    return current
  }

  /** The keys whose certificates metadata publishes: the signing key first, then the next. */
  publishedKeys(): readonly SamlSigningKey[] {
    const now = this.#refresh()
    const current = this.#keys.filter((key) => key.activatesAtMs <= now).at(-1)
    const next = this.#keys.filter((key) => key.activatesAtMs > now)
    return current === undefined ? next : [current, ...next]
  }

  /** Drops superseded keys and makes the first or the next key when it is due. */
  #refresh(): number {
    const now = this.#nowMs()
    let changed = false
    const active = this.#keys.filter((key) => key.activatesAtMs <= now)
    const superseded = active.slice(0, -1)
    if (superseded.length > 0) {
      this.#keys = this.#keys.filter((key) => !superseded.includes(key))
      changed = true
    }
    const current = active.at(-1)
    if (current === undefined) {
      this.#keys = [this.#makeKey(now, now), ...this.#keys]
      changed = true
    } else if (!this.#keys.some((key) => key.activatesAtMs > now) &&
      now >= current.activatesAtMs + this.#rotationMs - this.#overlapMs) {
      // A successor is always published for the full overlap before it signs, even when
      // the relay was not running at the planned time.
      const activatesAtMs = Math.max(current.activatesAtMs + this.#rotationMs,
        now + this.#overlapMs)
      this.#keys = [...this.#keys, this.#makeKey(now, activatesAtMs)]
      changed = true
    }
    if (changed) this.#save()
    return now
  }

  #makeKey(createdAtMs: number, activatesAtMs: number): SamlSigningKey {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: samlKeyDefaults.rsaModulusBits,
    })
    const certificatePem = createSelfSignedCertificate({
      privateKey,
      commonName: this.#commonName,
      notBeforeMs: createdAtMs - 3600_000,
      notAfterMs: activatesAtMs + this.#rotationMs + 365 * 24 * 3600_000,
    })
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    return toSigningKey({ privateKeyPem, certificatePem, createdAtMs, activatesAtMs })
  }

  #save(): void {
    if (this.#file === undefined) return
    const stored: StoredKey[] = this.#keys.map((key) => ({
      privateKeyPem: key.privateKeyPem,
      certificatePem: key.certificatePem,
      createdAtMs: key.createdAtMs,
      activatesAtMs: key.activatesAtMs,
    }))
    const temporary = `${this.#file}.${process.pid}.tmp`
    try {
      mkdirSync(join(this.#file, '..'), { recursive: true, mode: 0o700 })
      writeFileSync(temporary, `${JSON.stringify({ version: 1, keys: stored })}\n`,
        { mode: 0o600 })
      chmodSync(temporary, 0o600)
      renameSync(temporary, this.#file)
    } catch (err) {
      throw new SamlError(SamlErrorCode.keyStore, `cannot write the SAML key file ${this.#file}`,
        { cause: err })
    }
  }
}

function toSigningKey(stored: StoredKey): SamlSigningKey {
  const body = certificateBody(stored.certificatePem)
  return Object.freeze({
    id: createHash('sha256').update(Buffer.from(body, 'base64')).digest('hex'),
    privateKey: createPrivateKey(stored.privateKeyPem),
    privateKeyPem: stored.privateKeyPem,
    certificatePem: stored.certificatePem,
    certificateBody: body,
    createdAtMs: stored.createdAtMs,
    activatesAtMs: stored.activatesAtMs,
  })
}

function readKeyFile(file: string): SamlSigningKey[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new SamlError(SamlErrorCode.keyStore, `cannot read the SAML key file ${file}`,
      { cause: err })
  }
  try {
    const parsed = JSON.parse(text) as { keys: StoredKey[] }
    return parsed.keys.map(toSigningKey).sort((a, b) => a.activatesAtMs - b.activatesAtMs)
  } catch (err) {
    throw new SamlError(SamlErrorCode.keyStore, `the SAML key file ${file} is not valid; move ` +
      'it away to make a new key (every service provider then needs the new certificate)',
      { cause: err })
  }
}
