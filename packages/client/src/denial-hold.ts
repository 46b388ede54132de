import { ClientErrorCode, isClientError } from './errors.js'

/** Options of {@link holdDenials}. */
export interface DenialHoldOptions {
  /** How long a denial is answered from memory. Default 60 s. */
  readonly holdMs?: number
  /** The clock, for tests. */
  readonly nowMs?: () => number
}

/**
 * Wraps the opener of a listener's connections so that, once the app's policies denied
 * access, the next connections fail at once with that same error for `holdMs` instead of
 * each starting a new browser login that can only be denied again.
 */
export function holdDenials<T>(
  connect: () => Promise<T>,
  options: DenialHoldOptions = {},
): () => Promise<T> {
  const holdMs = options.holdMs ?? 60_000
  const nowMs = options.nowMs ?? Date.now
  let denied: { readonly error: unknown; readonly untilMs: number } | undefined
  return async () => {
    if (denied !== undefined && nowMs() < denied.untilMs) throw denied.error
    denied = undefined
    try {
      return await connect()
    } catch (err) {
      if (isClientError(err, ClientErrorCode.accessDenied)) {
        denied = { error: err, untilMs: nowMs() + holdMs }
      }
      throw err
    }
  }
}
