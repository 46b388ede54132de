/** Errors of the relay. Each has a stable `code` that callers switch on. */

export const RelayErrorCode = {
  config: 'ERR_CONFIG',
  unknownTunnel: 'ERR_UNKNOWN_TUNNEL',
  tokenStore: 'ERR_TOKEN_STORE',
  relayClosed: 'ERR_RELAY_CLOSED',
} as const
export type RelayErrorCode = (typeof RelayErrorCode)[keyof typeof RelayErrorCode]

/**
 * Codes the relay puts in the `keyway-error` header of its own answers (public requests
 * and refused tunnel dials), so that clients and connectors can tell the cases apart.
 */
export const RelayAnswerCode = {
  unknownHost: 'ERR_UNKNOWN_HOST',
  tunnelUnavailable: 'ERR_TUNNEL_UNAVAILABLE',
  tunnelBusy: 'ERR_TUNNEL_BUSY',
  streamFailed: 'ERR_TUNNEL_STREAM_FAILED',
  gateFailed: 'ERR_GATE_FAILED',
  badRequest: 'ERR_BAD_REQUEST',
  draining: 'ERR_RELAY_DRAINING',
  tokenMissing: 'ERR_TOKEN_MISSING',
  tokenInvalid: 'ERR_TOKEN_INVALID',
  protocolVersion: 'ERR_PROTOCOL_VERSION',
  tooManyConnections: 'ERR_TOO_MANY_CONNECTIONS',
  notTunnel: 'ERR_NOT_TUNNEL_ENDPOINT',
  internal: 'ERR_INTERNAL',
} as const
export type RelayAnswerCode = (typeof RelayAnswerCode)[keyof typeof RelayAnswerCode]

/**
 * A relay config that cannot be used. `problems` lists every problem found, each naming
 * the file, the field, what was expected and how to fix it.
 */
export class ConfigError extends Error {
  readonly code = RelayErrorCode.config
  readonly file: string
  readonly problems: readonly string[]

  constructor(file: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
    const numbering = problems.some((line) => line.includes('[')) ? '; lists count from 1' : ''
    const lines = problems.map((line) => `  - ${line}`).join('\n')
    super(`invalid relay config ${file} (${count}${numbering}):\n${lines}`, options)
    this.name = 'ConfigError'
    this.file = file
    this.problems = Object.freeze([...problems])
  }
}

/** Raised by the relay itself (not by configuration or the network). */
export class RelayError extends Error {
  readonly code: RelayErrorCode

  constructor(code: RelayErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'RelayError'
    this.code = code
  }
}
