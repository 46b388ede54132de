import { describe, expect, it } from 'vitest'

import { inRange, parseCidr } from '../../src/index.js'

describe('ip ranges', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.168.1.7', '192.168.1.7', true],
    ['192.168.1.7', '192.168.1.8', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::/0', '2001:db8::1', true],
    ['::1/128', '::1', true],
    ['10.0.0.0/8', '::ffff:10.0.0.1', true],
    ['::ffff:10.0.0.0/104', '10.0.0.1', true],
    ['fe80::/10', 'fe80::1%eth0', false],
    ['10.0.0.0/8', 'not-an-ip', false],
  ])('range %s contains %s: %s', (cidr, address, expected) => {
    const range = parseCidr(cidr)
    expect(range).toBeDefined()
    expect(inRange(range!, address)).toBe(expected)
  })

  it.each(['10.0.0.0/33', '::/129', '10.0.0/8', '10.0.0.0/x', 'example.com', '1.2.3.4/'])(
    'refuses %s as a CIDR block', (text) => {
      expect(parseCidr(text)).toBeUndefined()
    })
})
