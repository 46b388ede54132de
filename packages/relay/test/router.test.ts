import { describe, expect, it } from 'vitest'
import { HostRouter } from '../src/router.js'

describe('HostRouter', () => {
  const router = new HostRouter([
    { name: 'wild', hostnames: ['*.example.com'] },
    { name: 'deep', hostnames: ['*.api.example.com'] },
    { name: 'exact', hostnames: ['www.example.com', 'example.com'] },
  ])

  describe('#route', () => {
    it.each([
      ['www.example.com', 'exact'],
      ['WWW.Example.com.:443', 'exact'],
      ['example.com', 'exact'],
      ['shop.example.com', 'wild'],
      ['v1.api.example.com', 'deep'],
      ['api.example.com', 'wild'],
      ['a.b.www.example.com', 'wild'],
    ])('routes %s to tunnel %s', (host, tunnel) => {
      expect(router.route(host)?.tunnel).toBe(tunnel)
    })

    it.each(['example.org', 'notexample.com', ''])('routes %j nowhere', (host) => {
      expect(router.route(host)).toBeUndefined()
    })
  })
})
