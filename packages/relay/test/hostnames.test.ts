import { describe, expect, it } from 'vitest'
import { canonicalHost, hostnamePatternProblem, matchHostname } from '../src/hostnames.js'

describe('canonicalHost', () => {
  it.each([
    ['App.Example.COM', 'app.example.com'],
    ['app.example.com:8443', 'app.example.com'],
    ['app.example.com.', 'app.example.com'],
    ['APP.example.com.:80', 'app.example.com'],
    ['[::1]:8080', '[::1]'],
    ['  spaced.example.com ', 'spaced.example.com'],
    ['', ''],
  ])('turns %j into %j', (input, expected) => {
    expect(canonicalHost(input)).toBe(expected)
  })
})

describe('matchHostname', () => {
  it.each([
    ['app.example.com', 'app.example.com', true],
    ['app.example.com', 'x.app.example.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'badexample.com', false],
  ])('%s against %s is %s', (pattern, host, expected) => {
    expect(matchHostname(pattern, host)).toBe(expected)
  })
})

describe('hostnamePatternProblem', () => {
  it.each(['app.example.com', '*.example.com', 'localhost', '*.localhost', 'a-b_c.example'])(
    'accepts %s',
    (pattern) => {
      expect(hostnamePatternProblem(pattern)).toBeUndefined()
    },
  )

  it.each(['*', 'a.*.com', '*.*.com', 'app..example.com', '-app.example.com', 'a b.com', ''])(
    'refuses %j',
    (pattern) => {
      expect(hostnamePatternProblem(pattern)).toBeTypeOf('string')
    },
  )
})
