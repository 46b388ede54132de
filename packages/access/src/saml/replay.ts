import { SamlError, SamlErrorCode } from './errors.js'

/**
 * Remembers SAML message IDs (requests accepted, responses and assertions issued) until they
 * expire, so that none is accepted or issued twice. A shared implementation (SQLite, Redis)
 * lets several relays refuse each other's replays.
 */
export interface SamlIdStore {
  /**
   * Records `id` until `expiresAtMs`. True when it was new; false when it is already recorded
   * and not yet expired (a replay). Throws when it can record nothing more.
   */
  claim(id: string, expiresAtMs: number, nowMs: number): Promise<boolean>
}

/** Options of {@link MemorySamlIdStore}. */
export interface MemorySamlIdStoreOptions {
  /** IDs held at most; when full of unexpired IDs, new claims fail closed. Default 100 000. */
  readonly maxEntries?: number
}

/** The in-process {@link SamlIdStore}: right for one relay. */
export class MemorySamlIdStore implements SamlIdStore {
  readonly #maxEntries: number
  readonly #expiresAtMs = new Map<string, number>()

  constructor(options: MemorySamlIdStoreOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000
    if (!(this.#maxEntries > 0)) throw new TypeError('maxEntries must be > 0')
  }

  /** IDs currently recorded, expired ones included until the next sweep. */
  get size(): number {
    return this.#expiresAtMs.size
  }

  async claim(id: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    const known = this.#expiresAtMs.get(id)
    if (known !== undefined && known > nowMs) return false
    if (known === undefined && this.#expiresAtMs.size >= this.#maxEntries) this.#sweep(nowMs)
    if (known === undefined && this.#expiresAtMs.size >= this.#maxEntries) {
      throw new SamlError(SamlErrorCode.idStoreFull, `the SAML ID store holds ` +
        `${this.#maxEntries} unexpired IDs, its limit; refusing rather than forgetting one`)
    }
    this.#expiresAtMs.set(id, expiresAtMs)
    return true
  }

  #sweep(nowMs: number): void {
    for (const [id, expiresAtMs] of this.#expiresAtMs) {
      if (expiresAtMs <= nowMs) this.#expiresAtMs.delete(id)
    }
  }
}
