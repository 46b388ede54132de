import { describe, expect, it } from 'vitest'
import { lookupFor, resolveAppTarget } from '../src/app-url.js'
import { ClientErrorCode, isClientError } from '../src/errors.js'

describe('resolveAppTarget', () => {
  it.each([
    ['ssh.example.com', 'https://ssh.example.com/', 443, 'ssh.example.com',
      'wss://ssh.example.com/'],
    ['SSH.Example.COM.', 'https://ssh.example.com./', 443, 'ssh.example.com',
      'wss://ssh.example.com./'],
    ['ssh.example.com:8443', 'https://ssh.example.com:8443/', 8443, 'ssh.example.com:8443',
      'wss://ssh.example.com:8443/'],
    ['http://ssh.localhost:8080', 'http://ssh.localhost:8080/', 8080, 'ssh.localhost:8080',
      'ws://ssh.localhost:8080/'],
    ['https://rdp.example.com/desk', 'https://rdp.example.com/desk', 443, 'rdp.example.com',
      'wss://rdp.example.com/desk'],
    ['http://db.example.com', 'http://db.example.com/', 80, 'db.example.com',
      'ws://db.example.com/'],
    ['http://[::1]:9000', 'http://[::1]:9000/', 9000, '[::1]:9000', 'ws://[::1]:9000/'],
  ])('resolves %s', (input, url, port, display, webSocketUrl) => {
    const app = resolveAppTarget(input)

    expect(app.url.href).toBe(url)
    expect(app.port).toBe(port)
    expect(app.display).toBe(display)
    expect(app.webSocketUrl).toBe(webSocketUrl)
  })

  it('keys the cache by host and effective port', () => {
    expect(resolveAppTarget('ssh.example.com').cacheKey).toBe('ssh.example.com:443')
    expect(resolveAppTarget('https://ssh.example.com:443').cacheKey).toBe('ssh.example.com:443')
    expect(resolveAppTarget('http://ssh.localhost:8080/x').cacheKey).toBe('ssh.localhost:8080')
  })

  it.each([
    [''],
    ['ftp://ssh.example.com'],
    ['https://user:pw@ssh.example.com'],
    ['ssh example com'],
    ['ssh.example.com:99999'],
    ['-bad.example.com'],
    ['ssh.example.com/path'],
  ])('refuses %j with ERR_BAD_HOSTNAME', (input) => {
    let caught: unknown
    try {
      resolveAppTarget(input)
    } catch (err) {
      caught = err
    }

    expect(isClientError(caught, ClientErrorCode.badHostname)).toBe(true)
    expect((caught as Error).message).toContain('http://ssh.localhost:8080')
  })
})

describe('lookupFor', () => {
  it('answers 127.0.0.1 for localhost names', async () => {
    const lookup = lookupFor('ssh.localhost')
    const address = await new Promise((resolve, reject) => {
      lookup?.('ssh.localhost', {}, (err, answer) => (err ? reject(err) : resolve(answer)))
    })

    expect(address).toBe('127.0.0.1')
    expect(lookupFor('LOCALHOST')).toBeDefined()
  })

  it('leaves other names to the system resolver', () => {
    expect(lookupFor('ssh.example.com')).toBeUndefined()
    expect(lookupFor('localhost.example.com')).toBeUndefined()
  })
})
