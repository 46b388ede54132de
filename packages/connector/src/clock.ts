/** A timer handle as returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown

/**
 * Time as the supervisor sees it. Injected so that tests drive reconnects and heartbeats
 * deterministically instead of waiting on real time.
 */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number
  setTimeout(callback: () => void, delayMs: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  /** A number in [0, 1), used for backoff jitter. */
  random(): number
}

/** The real clock. Its timers do not keep the process alive on their own. */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (callback: () => void, delayMs: number): TimerHandle => {
    const timer = setTimeout(callback, delayMs)
    timer.unref()
    return timer
  },
  clearTimeout: (handle: TimerHandle) => {
    clearTimeout(handle as NodeJS.Timeout)
  },
  random: () => Math.random(),
})
