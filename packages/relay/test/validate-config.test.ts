import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { relayConfigDefaults } from '../src/config.js'
import { ConfigError } from '../src/errors.js'
import { validateRelayConfig } from '../src/validate-config.js'

const file = '/etc/keyway/relay.yaml'
const base = {
  listen: '0.0.0.0:8080',
  tunnelListen: '127.0.0.1:8081',
  dataDir: './data',
  tunnels: [{ name: 'app', hostnames: ['app.example.com'] }],
}

function problemsOf(raw: unknown): readonly string[] {
  try {
    validateRelayConfig(raw, file)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems
    throw err
  }
  throw new Error('the config was accepted')
}

describe('validateRelayConfig', () => {
  it('fills defaults, resolves paths against the config folder and freezes the result', () => {
    const config = validateRelayConfig(
      { ...base, tls: { cert: 'tls/cert.pem', key: '/abs/key.pem' }, access: { idp: 'x' } },
      file,
    )

    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 })
    expect(config.tunnelListen).toEqual({ host: '127.0.0.1', port: 8081 })
    expect(config.dataDir).toBe(path.resolve('/etc/keyway/data'))
    expect(config.tls).toEqual({ cert: '/etc/keyway/tls/cert.pem', key: '/abs/key.pem' })
    expect(config.tunnelTls).toBeUndefined()
    expect(config.access).toEqual({ idp: 'x' })
    expect(config.limits).toEqual(relayConfigDefaults.limits)
    expect(config.gracePeriodMs).toBe(30_000)
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.tunnels[0])).toBe(true)
  })

  it('canonicalises hostnames and accepts IPv6 listen addresses and port 0', () => {
    const config = validateRelayConfig(
      {
        ...base,
        listen: '[::1]:0',
        tunnels: [{ name: 'app', hostnames: ['App.Example.COM.', '*.Apps.example.com'] }],
        limits: { maxStreamsPerConnection: 10 },
      },
      file,
    )

    expect(config.listen).toEqual({ host: '::1', port: 0 })
    expect(config.tunnels[0]?.hostnames).toEqual(['app.example.com', '*.apps.example.com'])
    expect(config.limits.maxStreamsPerConnection).toBe(10)
    expect(config.limits.maxHeaderBytes).toBe(relayConfigDefaults.limits.maxHeaderBytes)
  })

  it.each([
    [
      'a list instead of a mapping',
      [1],
      `${file}: must be a YAML mapping with "listen", "tunnelListen", "dataDir" and "tunnels", ` +
        'got a list',
    ],
    [
      'a misspelt key',
      { ...base, tunels: [] },
      `${file}: "tunels" is not a known key; did you mean "tunnels"?`,
    ],
    [
      'a missing listen',
      { ...base, listen: undefined },
      `${file}: "listen" is required; write it as host:port, for example "listen: 0.0.0.0:8080"`,
    ],
    [
      'a listen without port',
      { ...base, listen: 'localhost' },
      `${file}: "listen" "localhost" is not a host and port (0-65535); write it as host:port, ` +
        'for example "listen: 0.0.0.0:8080"',
    ],
    [
      'a port out of range',
      { ...base, tunnelListen: '127.0.0.1:70000' },
      `${file}: "tunnelListen" "127.0.0.1:70000" is not a host and port (0-65535); write it ` +
        'as host:port, for example "tunnelListen: 0.0.0.0:8081"',
    ],
    [
      'tls without key',
      { ...base, tls: { cert: 'c.pem' } },
      `${file}: "tls.key" must be the path of a PEM file, it is missing; write it as ` +
        '"tls: { cert: cert.pem, key: key.pem }" (relative paths start at the config ' +
        "file's folder)",
    ],
    [
      'a misspelt tls key',
      { ...base, tunnelTls: { cert: 'c.pem', key: 'k.pem', keys: 'x' } },
      `${file}: "tunnelTls.keys" is not a known key; did you mean "key"?`,
    ],
    [
      'a missing dataDir',
      { ...base, dataDir: undefined },
      `${file}: "dataDir" must be the path of the relay's state folder, it is missing; for ` +
        'example "dataDir: ./relay-data" (relative to the config file)',
    ],
    [
      'tunnels that are not a list',
      { ...base, tunnels: { app: ['a.example.com'] } },
      `${file}: "tunnels" must be a list of { name, hostnames }, got a mapping; for example ` +
        '"tunnels: [{ name: app, hostnames: [app.example.com] }]"',
    ],
    [
      'a tunnel name with a dot',
      { ...base, tunnels: [{ name: 'my.app', hostnames: ['a.example.com'] }] },
      `${file}: "tunnels[1].name" must be 1-128 letters, digits, "_" or "-", got the string ` +
        '"my.app"; for example "name: app"',
    ],
    [
      'two tunnels with one name',
      {
        ...base,
        tunnels: [
          { name: 'app', hostnames: ['a.example.com'] },
          { name: 'app', hostnames: ['b.example.com'] },
        ],
      },
      `${file}: "tunnels[2].name" "app" is already the name of tunnels[1]; give each tunnel ` +
        'its own name',
    ],
    [
      'a tunnel without hostnames',
      { ...base, tunnels: [{ name: 'app', hostnames: [] }] },
      `${file}: "tunnels[1].hostnames" must be a non-empty list of hostnames, got a list; for ` +
        `example "hostnames: [app.example.com, '*.apps.example.com']"`,
    ],
    [
      'a wildcard in the middle',
      { ...base, tunnels: [{ name: 'app', hostnames: ['a.*.example.com'] }] },
      `${file}: "tunnels[1].hostnames[1]" "a.*.example.com" may hold "*" only as its whole ` +
        'first label, as in "*.example.com"',
    ],
    [
      'a URL instead of a hostname',
      { ...base, tunnels: [{ name: 'app', hostnames: ['https://app.example.com'] }] },
      `${file}: "tunnels[1].hostnames[1]" "https://app.example.com" must be a bare hostname ` +
        'without scheme or path, for example "app.example.com"',
    ],
    [
      'a hostname in two tunnels',
      {
        ...base,
        tunnels: [
          { name: 'app', hostnames: ['a.example.com'] },
          { name: 'api', hostnames: ['b.example.com', 'A.example.com'] },
        ],
      },
      `${file}: "tunnels[2].hostnames[2]" "a.example.com" is already listed at ` +
        'tunnels[1].hostnames[1] (tunnel "app"); a hostname may belong to one tunnel only, so ' +
        'remove one of them',
    ],
    [
      'a misspelt limit',
      { ...base, limits: { maxHeaderByte: 1 } },
      `${file}: "limits.maxHeaderByte" is not a known key; did you mean "maxHeaderBytes"?`,
    ],
    [
      'a limit out of range',
      { ...base, limits: { maxStreamsPerConnection: 0 } },
      `${file}: "limits.maxStreamsPerConnection" is 0; it must be from 1 to 16384`,
    ],
    [
      'a limit that is not a number',
      { ...base, limits: { headersTimeoutMs: '10s' } },
      `${file}: "limits.headersTimeoutMs" must be a whole number from 100 to 3600000, got the ` +
        'string "10s"; for example headersTimeoutMs: 30000',
    ],
    [
      'a head timeout beyond the request timeout',
      { ...base, limits: { headersTimeoutMs: 60_000, requestTimeoutMs: 10_000 } },
      `${file}: "limits.headersTimeoutMs" must not be larger than "limits.requestTimeoutMs" ` +
        '(the whole request includes its head); lower it',
    ],
    [
      'a negative grace period',
      { ...base, gracePeriodMs: -1 },
      `${file}: "gracePeriodMs" is -1; it must be from 0 to 3600000`,
    ],
  ])('reports %s', (_label, raw, expected) => {
    expect(problemsOf(raw)).toEqual([expected])
  })

  it('reports every problem at once, in a message naming the file', () => {
    let error: unknown
    try {
      validateRelayConfig({ listen: 'x', tunnels: [{ name: '', hostnames: ['*'] }] }, file)
    } catch (err) {
      error = err
    }

    expect(error).toBeInstanceOf(ConfigError)
    const config = error as ConfigError
    expect(config.code).toBe('ERR_CONFIG')
    expect(config.problems).toHaveLength(5)
    expect(config.message).toMatch(/^invalid relay config \/etc\/keyway\/relay\.yaml \(5 problems/)
    for (const problem of config.problems) expect(config.message).toContain(problem)
  })
})
