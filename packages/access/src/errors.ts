/** Errors of the access layer. Each has a stable `code` that callers switch on. */

export const AccessErrorCode = {
  configInvalid: 'ERR_CONFIG',
  tokenInvalid: 'ERR_TOKEN_INVALID',
  keyStore: 'ERR_KEY_STORE',
  store: 'ERR_ACCESS_STORE',
  identityProvider: 'ERR_IDENTITY_PROVIDER',
  emailNotVerified: 'ERR_EMAIL_NOT_VERIFIED',
  policyEvaluation: 'ERR_POLICY_EVALUATION',
  serviceTokenExists: 'ERR_SERVICE_TOKEN_EXISTS',
  serviceTokenUnknown: 'ERR_SERVICE_TOKEN_UNKNOWN',
} as const
export type AccessErrorCode = (typeof AccessErrorCode)[keyof typeof AccessErrorCode]

/**
 * An `access:` section that cannot be used. `problems` lists every problem found, each naming
 * the file, the field path, what was expected and how to fix it.
 */
export class AccessConfigError extends Error {
  readonly code = AccessErrorCode.configInvalid
  readonly file: string
  readonly problems: readonly string[]

  constructor(file: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
    const lines = problems.map((problem) => `  - ${problem}`).join('\n')
    super(`invalid access config in ${file} (${count}; lists count from 1):\n${lines}`, options)
    this.name = 'AccessConfigError'
    this.file = file
    this.problems = Object.freeze([...problems])
  }
}

/** Raised by the access layer itself: tokens, keys, stores, identity providers. */
export class AccessError extends Error {
  readonly code: AccessErrorCode

  constructor(code: AccessErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'AccessError'
    this.code = code
  }
}
