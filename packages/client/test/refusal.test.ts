import { describe, expect, it } from 'vitest'
import { resolveAppTarget } from '../src/app-url.js'
import { ClientErrorCode } from '../src/errors.js'
import { refusalError, unreachableError, type CredentialKind } from '../src/refusal.js'
import { renderSshConfig } from '../src/ssh-config.js'
import { closeError } from '../src/ws-byte-stream.js'

const app = resolveAppTarget('ssh.example.com')

describe('refusalError', () => {
  it.each<[number, Record<string, string>, CredentialKind, string]>([
    [401, {}, 'none', ClientErrorCode.notLoggedIn],
    [401, {}, 'app-token', ClientErrorCode.notLoggedIn],
    [401, {}, 'service-token', ClientErrorCode.serviceTokenRefused],
    [302, { location: 'https://auth.example.com/login' }, 'none', ClientErrorCode.notLoggedIn],
    [308, { location: 'https://ssh.example.com/' }, 'none', ClientErrorCode.unexpectedAnswer],
    [403, {}, 'app-token', ClientErrorCode.accessDenied],
    [404, { 'keyway-error': 'ERR_UNKNOWN_HOST' }, 'app-token', ClientErrorCode.appNotFound],
    [502, {}, 'app-token', ClientErrorCode.appUnavailable],
    [503, {}, 'app-token', ClientErrorCode.appUnavailable],
    [504, {}, 'app-token', ClientErrorCode.appUnavailable],
    [400, {}, 'app-token', ClientErrorCode.unexpectedAnswer],
    [200, {}, 'app-token', ClientErrorCode.unexpectedAnswer],
  ])('maps %i %j with %s to %s', (status, headers, used, code) => {
    const err = refusalError({ status, headers }, app, used)

    expect(err.code).toBe(code)
    expect(err.status).toBe(status)
    expect(err.message).not.toContain('\n')
  })

  it('names the login command and keeps the relay login URL', () => {
    const err = refusalError(
      { status: 401, headers: { 'keyway-login-url': 'https://ssh.example.com/.keyway/cli' } },
      app,
      'none',
    )

    expect(err.message).toBe(
      'not logged in to ssh.example.com (no session); ' +
        'run: keyway access login https://ssh.example.com',
    )
    expect(err.loginUrl).toBe('https://ssh.example.com/.keyway/cli')
  })

  it('says which relay code came with a denial', () => {
    const err = refusalError(
      { status: 403, headers: { 'keyway-error': 'ERR_POLICY_DENIED' } },
      app,
      'app-token',
    )

    expect(err.message).toBe(
      'access to ssh.example.com is denied by its policy (HTTP 403 ERR_POLICY_DENIED); ' +
        "ask the app's administrators for access",
    )
  })
})

describe('unreachableError', () => {
  it('names the address and the system error code', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    const err = unreachableError(cause, app)

    expect(err.code).toBe(ClientErrorCode.relayUnreachable)
    expect(err.message).toBe(
      'cannot reach the relay for ssh.example.com at ssh.example.com:443 (ECONNREFUSED); ' +
        'check the hostname and your network',
    )
  })
})

describe('closeError', () => {
  it.each([
    [1006, ClientErrorCode.connectionReset, 'the connection to the relay was lost'],
    [4010, ClientErrorCode.connectionReset, "the app's server reset the connection"],
    [4100, ClientErrorCode.connectionReset, 'the relay closed the idle session'],
    [4101, ClientErrorCode.connectionReset, 'the session reached its maximum duration'],
    [1002, ClientErrorCode.protocol, 'protocol error'],
  ])('maps close code %i', (code, errorCode, text) => {
    const err = closeError(code, 'ssh.example.com')

    expect(err.code).toBe(errorCode)
    expect(err.message).toContain(text)
    expect(err.closeCode).toBe(code)
  })
})

describe('renderSshConfig', () => {
  it('passes %h for a bare hostname', () => {
    expect(renderSshConfig({ hostname: 'ssh.example.com' })).toBe(
      'Host ssh.example.com\n  ProxyCommand keyway access ssh --hostname %h\n',
    )
  })

  it('passes the URL for a relay on another port', () => {
    expect(renderSshConfig({ hostname: 'http://ssh.localhost:8080', command: '/opt/keyway' }))
      .toBe('Host ssh.localhost\n  ProxyCommand /opt/keyway access ssh --hostname ' +
        'http://ssh.localhost:8080\n')
  })

  it('passes only the origin of a URL with a path, whose % ssh would take for a token', () => {
    expect(renderSshConfig({ hostname: 'http://ssh.localhost:8080/x%0a?y=1' }))
      .toBe('Host ssh.localhost\n  ProxyCommand keyway access ssh --hostname ' +
        'http://ssh.localhost:8080\n')
  })
})
