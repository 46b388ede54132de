import { describe, expect, it } from 'vitest'
import { ConfigError as ConnectorConfigError } from '@keyway/connector'
import { ConfigError as RelayConfigError, RelayError, RelayErrorCode } from '@keyway/relay'

import { CliError, CliErrorCode } from '../src/errors.js'
import { reportError } from '../src/report-error.js'

describe('reportError', () => {
  it.each([
    ['a connector config error', new ConnectorConfigError('c.yaml', ['c.yaml: "relay" is bad'])],
    ['a relay config error', new RelayConfigError('r.yaml', ['r.yaml: "listen" is bad'])],
    ['an unknown tunnel', new RelayError(RelayErrorCode.unknownTunnel, 'tunnel "x" is unknown')],
    ['a missing token', new CliError(CliErrorCode.tokenMissing, 'no tunnel token given')],
  ])('prints %s as its message alone with exit code 1', (_, err) => {
    const report = reportError(err)

    expect(report).toEqual({ text: `error: ${err.message}`, exitCode: 1 })
    expect(report.text).not.toContain('    at ')
  })

  it('prints a system error such as a port in use without a stack', () => {
    const err = Object.assign(new Error('listen EADDRINUSE: address already in use'), {
      code: 'EADDRINUSE',
    })

    expect(reportError(err)).toEqual({
      text: 'error: listen EADDRINUSE: address already in use',
      exitCode: 1,
    })
  })

  it('exits 2 for a usage error', () => {
    expect(reportError(new CliError(CliErrorCode.usage, 'bad URL')).exitCode).toBe(2)
  })

  it('keeps the stack of an unexpected error for the bug report', () => {
    const report = reportError(new TypeError('cannot read properties of undefined'))

    expect(report.exitCode).toBe(1)
    expect(report.text).toMatch(/^error: unexpected failure: TypeError: cannot read/)
    expect(report.text).toContain('    at ')
  })
})
