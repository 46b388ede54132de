/** Errors of the test kit. Each has a stable `code` that callers switch on. */

export const TestkitErrorCode = {
  missingTool: 'ERR_MISSING_TOOL',
  timeout: 'ERR_TIMEOUT',
  processExited: 'ERR_PROCESS_EXITED',
  peerFailed: 'ERR_PEER_FAILED',
  bodyTooLarge: 'ERR_BODY_TOO_LARGE',
  loginFailed: 'ERR_LOGIN_FAILED',
} as const
export type TestkitErrorCode = (typeof TestkitErrorCode)[keyof typeof TestkitErrorCode]

/**
 * A harness failure: a missing Debian tool, a peer that never became ready, a wait that timed
 * out. Messages carry the tail of the peer's log so a failing test explains itself.
 */
export class TestkitError extends Error {
  readonly code: TestkitErrorCode

  constructor(code: TestkitErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'TestkitError'
    this.code = code
  }
}
