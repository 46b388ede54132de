/** Errors of the connector. Each has a stable `code` that callers switch on. */

import type { OriginErrorCode } from '@keyway/protocol'

export const ConnectorErrorCode = {
  configInvalid: 'ERR_CONFIG_INVALID',
  connectorStopped: 'ERR_CONNECTOR_STOPPED',
} as const
export type ConnectorErrorCode = (typeof ConnectorErrorCode)[keyof typeof ConnectorErrorCode]

/**
 * A connector config that cannot be used. `problems` lists every problem found, each naming
 * the file, the field, what was expected and how to fix it.
 */
export class ConfigError extends Error {
  readonly code = ConnectorErrorCode.configInvalid
  readonly file: string
  readonly problems: readonly string[]

  constructor(file: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`
    const numbering = problems.some((problem) => problem.includes('['))
      ? '; lists count from 1'
      : ''
    const lines = problems.map((problem) => `  - ${problem}`).join('\n')
    super(`invalid connector config ${file} (${count}${numbering}):\n${lines}`, options)
    this.name = 'ConfigError'
    this.file = file
    this.problems = Object.freeze([...problems])
  }
}

/** Raised by the connector itself (not by configuration or the network). */
export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode

  constructor(code: ConnectorErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'ConnectorError'
    this.code = code
  }
}

/** Why an origin could not be reached; becomes the `error` of the stream's reply. */
export class OriginError extends Error {
  readonly code: OriginErrorCode

  constructor(code: OriginErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'OriginError'
    this.code = code
  }
}
