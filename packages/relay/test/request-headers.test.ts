import { describe, expect, it } from 'vitest'
import { forwardedHeaders, requestFraming, withoutHopByHop } from '../src/request-headers.js'

const facts = { clientIp: '198.51.100.7', proto: 'https' as const, host: 'App.example.com' }

describe('withoutHopByHop', () => {
  it('drops hop-by-hop headers and the ones Connection names, keeping the rest in order', () => {
    const kept = withoutHopByHop([
      ['Accept', 'a'],
      ['Connection', 'close, X-Private'],
      ['Keep-Alive', 'timeout=5'],
      ['x-private', 'secret'],
      ['TE', 'trailers'],
      ['Transfer-Encoding', 'chunked'],
      ['accept', 'b'],
    ])

    expect(kept).toEqual([
      ['Accept', 'a'],
      ['accept', 'b'],
    ])
  })
})

describe('forwardedHeaders', () => {
  it('appends the client address to X-Forwarded-For and sets Proto and Host', () => {
    const headers = forwardedHeaders(
      ['Host', 'App.example.com', 'X-Forwarded-For', '10.0.0.1', 'X-Forwarded-Proto', 'http'],
      facts,
    )

    expect(headers).toEqual([
      ['Host', 'App.example.com'],
      ['X-Forwarded-For', '10.0.0.1, 198.51.100.7'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'App.example.com'],
    ])
  })

  it('appends this hop to a client-sent Forwarded list, last, like X-Forwarded-For', () => {
    const headers = forwardedHeaders(
      ['Host', 'App.example.com', 'Forwarded', 'for=10.0.0.1;proto=https', 'X-Kept', 'yes'],
      facts,
    )

    expect(headers).toEqual([
      ['Host', 'App.example.com'],
      ['X-Kept', 'yes'],
      ['X-Forwarded-For', '198.51.100.7'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'App.example.com'],
      ['Forwarded', 'for=10.0.0.1;proto=https, for=198.51.100.7;proto=https;host=App.example.com'],
    ])
  })

  it('removes client-sent access headers before adding the gate headers', () => {
    const headers = forwardedHeaders(
      ['Host', 'h', 'Keyway-Access-Email', 'forged', 'CF-Access-JWT-Assertion', 'forged'],
      { ...facts, addHeaders: [['Keyway-Access-Email', 'real@example.com']] },
    )

    expect(headers.filter(([name]) => name.toLowerCase().includes('access'))).toEqual([
      ['Keyway-Access-Email', 'real@example.com'],
    ])
  })

  it('drops the headers the gate removes, in any case', () => {
    const headers = forwardedHeaders(['Host', 'h', 'COOKIE', 'a=1', 'Accept', '*/*'], {
      ...facts,
      removeHeaders: ['Cookie'],
    })

    expect(headers.map(([name]) => name)).toEqual([
      'Host',
      'Accept',
      'X-Forwarded-For',
      'X-Forwarded-Proto',
      'X-Forwarded-Host',
    ])
  })

  it('keeps Connection: Upgrade and Upgrade for an upgrade', () => {
    const headers = forwardedHeaders(
      ['Host', 'h', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'],
      { ...facts, upgrade: true },
    )

    expect(headers).toContainEqual(['Connection', 'Upgrade'])
    expect(headers).toContainEqual(['Upgrade', 'websocket'])
    expect(headers).toContainEqual(['Sec-WebSocket-Key', 'k'])
  })
})

describe('requestFraming', () => {
  it.each([
    [{}, { hasBody: false, chunked: false }],
    [{ 'content-length': '0' }, { hasBody: false, chunked: false }],
    [{ 'content-length': '12' }, { hasBody: true, chunked: false }],
    [{ 'transfer-encoding': 'chunked' }, { hasBody: true, chunked: true }],
    [{ 'transfer-encoding': 'gzip, chunked' }, { hasBody: true, chunked: true }],
  ])('reads %j as %j', (headers, expected) => {
    expect(requestFraming(headers)).toEqual(expected)
  })
})
