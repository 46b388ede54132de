import type { Clock } from './clock.js'

/** Settings of {@link Backoff}; every one in milliseconds. */
export interface BackoffOptions {
  /** Ceiling of the first delay. */
  baseMs: number
  /** Largest ceiling any delay may have. */
  capMs: number
  /** A connection that stayed up this long starts the sequence over. */
  resetAfterMs: number
}

export const defaultBackoffOptions: Readonly<BackoffOptions> = Object.freeze({
  baseMs: 250,
  capMs: 5_000,
  resetAfterMs: 10_000,
})

/**
 * Exponential backoff with full jitter: attempt `n` waits a uniformly random time in
 * `[0, min(capMs, baseMs * 2^n))`. Jitter keeps many connectors that lost the same relay
 * from dialling it back in lockstep.
 */
export class Backoff {
  readonly options: Readonly<BackoffOptions>
  private readonly clock: Clock
  private attempt = 0

  constructor(clock: Clock, options: Partial<BackoffOptions> = {}) {
    const merged = { ...defaultBackoffOptions, ...options }
    for (const [key, value] of Object.entries(merged)) {
      if (!Number.isFinite(value) || value < 0) {
        throw new TypeError(`"${key}" must be a finite number of milliseconds >= 0`)
      }
    }
    if (merged.capMs < merged.baseMs) throw new TypeError('"capMs" must be >= "baseMs"')
    this.options = Object.freeze(merged)
    this.clock = clock
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt
  }

  /** The ceiling for the next delay, without jitter. */
  ceilingMs(): number {
    // Past 2^40 the cap has long been reached; stop doubling before the number overflows.
    const exponent = Math.min(this.attempt, 40)
    return Math.min(this.options.capMs, this.options.baseMs * 2 ** exponent)
  }

  /** The delay before the next attempt; counts the attempt. */
  nextDelayMs(): number {
    const delayMs = Math.floor(this.clock.random() * this.ceilingMs())
    this.attempt++
    return delayMs
  }

  /** Starts over from `baseMs`. */
  reset(): void {
    this.attempt = 0
  }

  /** Reports how long a connection stayed up; a stable one resets the sequence. */
  connectionEnded(upMs: number): void {
    if (upMs >= this.options.resetAfterMs) this.reset()
  }
}
