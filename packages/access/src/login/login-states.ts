/**
 * Short-lived, single-use values of the login flow: pending logins (keyed by `state`) and
 * the one-time codes that carry a session from the auth domain to an app host.
 */
export interface LoginStateStore<T> {
  /** Stores `value` under `key` for `ttlMs`. */
  put(key: string, value: T, ttlMs: number): Promise<void>
  /** Returns the value and deletes it: a second take of the same key finds nothing. */
  take(key: string): Promise<T | undefined>
}

/** In-memory {@link LoginStateStore}, bounded: past `maxEntries` the oldest entry goes. */
export class MemoryLoginStateStore<T> implements LoginStateStore<T> {
  readonly #entries = new Map<string, { value: T; untilMs: number }>()
  readonly #maxEntries: number
  readonly #nowMs: () => number

  constructor(options: { maxEntries?: number; nowMs?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000
    this.#nowMs = options.nowMs ?? Date.now
  }

  async put(key: string, value: T, ttlMs: number): Promise<void> {
    const now = this.#nowMs()
    for (const [oldKey, entry] of this.#entries) {
      if (entry.untilMs > now && this.#entries.size < this.#maxEntries) break
      this.#entries.delete(oldKey)
    }
    this.#entries.set(key, { value, untilMs: now + ttlMs })
  }

  async take(key: string): Promise<T | undefined> {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    return entry.untilMs > this.#nowMs() ? entry.value : undefined
  }
}
