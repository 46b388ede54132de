import { describe, expect, it } from 'vitest'

import { CookieJar } from '../src/index.js'

describe('CookieJar', () => {
  it('sends host-only cookies to their host alone', () => {
    const jar = new CookieJar()
    jar.setFromResponse(
      'http://app.localhost:8080/x',
      ['session=abc; Path=/; HttpOnly; SameSite=Lax'],
    )
    expect(jar.cookieHeader('http://app.localhost:8080/other')).toBe('session=abc')
    expect(jar.cookieHeader('http://sub.app.localhost:8080/')).toBeUndefined()
    expect(jar.cookieHeader('http://auth.localhost:8080/')).toBeUndefined()
    expect(jar.get('app.localhost', 'session')).toMatchObject({
      hostOnly: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
    })
  })

  it('sends Domain cookies to subdomains and refuses foreign domains', () => {
    const jar = new CookieJar()
    jar.setFromResponse('http://auth.example.test/', [
      'shared=1; Domain=.example.test; Path=/',
      'foreign=1; Domain=evil.test; Path=/',
    ])
    expect(jar.cookieHeader('http://app.example.test/')).toBe('shared=1')
    expect(jar.all().map((cookie) => cookie.name)).toEqual(['shared'])
  })

  it('matches paths on segment boundaries and sends longer paths first', () => {
    const jar = new CookieJar()
    jar.setFromResponse('http://h.test/', ['root=r; Path=/', 'api=a; Path=/api'])
    expect(jar.cookieHeader('http://h.test/api/v1')).toBe('api=a; root=r')
    expect(jar.cookieHeader('http://h.test/apix')).toBe('root=r')
  })

  it('expires cookies by Max-Age and deletes them with Max-Age=0', () => {
    let nowMs = 1_000_000
    const jar = new CookieJar({ nowMs: () => nowMs })
    jar.setFromResponse('http://h.test/', ['short=1; Max-Age=10', 'gone=1; Path=/'])
    jar.setFromResponse('http://h.test/', ['gone=; Path=/; Max-Age=0'])
    expect(jar.cookieHeader('http://h.test/')).toBe('short=1')
    nowMs += 11_000
    expect(jar.cookieHeader('http://h.test/')).toBeUndefined()
  })

  it('keeps Secure cookies off plain HTTP except on loopback names', () => {
    const jar = new CookieJar()
    jar.setFromResponse('https://h.test/', ['s=1; Secure; Path=/'])
    expect(jar.cookieHeader('http://h.test/')).toBeUndefined()
    expect(jar.cookieHeader('https://h.test/')).toBe('s=1')
    jar.setFromResponse('http://app.localhost/', ['l=1; Secure; Path=/'])
    expect(jar.cookieHeader('http://app.localhost/')).toBe('l=1')
  })
})
