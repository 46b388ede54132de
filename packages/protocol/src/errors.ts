/** Errors of the tunnel protocol. Each has a stable `code` that callers switch on. */

export const ProtocolErrorCode = {
  badMeta: 'ERR_BAD_META',
  metaTooLarge: 'ERR_META_TOO_LARGE',
  sessionClosed: 'ERR_SESSION_CLOSED',
  sessionDraining: 'ERR_SESSION_DRAINING',
  streamReset: 'ERR_STREAM_RESET',
} as const
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode]

/** An error in bytes or metadata received from the tunnel peer. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode
  /** HTTP/2 reset code to send the peer for the offending stream, when there is one. */
  readonly resetCode: number | undefined

  constructor(
    code: ProtocolErrorCode,
    message: string,
    options: { cause?: unknown; resetCode?: number } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'ProtocolError'
    this.code = code
    this.resetCode = options.resetCode
  }
}
