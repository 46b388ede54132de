import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stopAll, tempDir, type TempDir } from '@keyway/testkit'

import { runKeyway, writeFile } from '../support/keyway.js'

const goodConfig = `relay: wss://relay.example.com
ingress:
  - hostname: app.example.com
    path: /api
    service: http://127.0.0.1:8080
  - hostname: "*.example.com"
    service: hello_world
  - path: /health$
    service: http_status:204
  - service: http_status:404
`

const badConfig = `relay: http://relay.example.com
ingress:
  - hostname: app.example.com
    path: api
    service: http://127.0.0.1:8080
  - hostname: b.example.com
    servise: hello_world
`

let dir: TempDir
let good: string
let bad: string

beforeAll(() => {
  dir = tempDir('keyway-cli-ingress-')
  good = writeFile(dir.path, 'connector.yaml', goodConfig)
  bad = writeFile(dir.path, 'bad.yaml', badConfig)
})

afterAll(async () => {
  await stopAll()
  await dir.remove()
})

describe('keyway tunnel ingress', () => {
  describe('validate', () => {
    it('prints the rules numbered from 1 and exits 0 for a good config', async () => {
      const result = await runKeyway(['tunnel', 'ingress', 'validate', '--config', good])

      expect(result.code).toBe(0)
      expect(result.stderr).toBe('')
      expect(result.stdout.split('\n')).toEqual([
        `${good}: valid, 4 ingress rules`,
        'rule 1: hostname "app.example.com", path "/api" -> http://127.0.0.1:8080',
        'rule 2: hostname "*.example.com" -> hello_world',
        'rule 3: path "/health$" -> http_status:204',
        'rule 4: everything else (catch-all) -> http_status:404',
      ])
    })

    it('prints every problem with file, rule number, field and fix, and exits 1', async () => {
      const result = await runKeyway(['tunnel', 'ingress', 'validate', '--config', bad])

      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr.split('\n')).toEqual([
        `error: invalid connector config ${bad} (5 problems; lists count from 1):`,
        `  - ${bad}: "relay" must use ws:// or wss://, not http://; ` +
          'write "ws://relay.example.com"',
        `  - ${bad}: "ingress[1].path" "api" never matches because request paths start ` +
          'with "/"; write "/api"',
        `  - ${bad}: "ingress[2].servise" is not a known key; did you mean "service"?`,
        `  - ${bad}: "ingress[2].service" is required, for example ` +
          '"service: http://127.0.0.1:8080"',
        `  - ${bad}: "ingress[2]" is the last rule and must be a catch-all without ` +
          '"hostname" and "path", so that every request has a rule; add one at the end, ' +
          'for example "- service: http_status:404"',
      ])
    })

    it('names a missing file and exits 1', async () => {
      const missing = `${dir.path}/nowhere.yaml`
      const result = await runKeyway(['tunnel', 'ingress', 'validate', '--config', missing])

      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        `error: invalid connector config ${missing} (1 problem):\n` +
          `  - ${missing}: cannot read the file (ENOENT); check the path`,
      )
    })
  })

  describe('rule', () => {
    const api = 'hostname "app.example.com", path "/api" -> http://127.0.0.1:8080'
    const wildcard = 'hostname "*.example.com" -> hello_world'
    const health = 'path "/health$" -> http_status:204'
    const catchAll = 'everything else (catch-all) -> http_status:404'
    it.each([
      ['https://app.example.com/api', 1, api],
      ['https://app.example.com/api/users?page=2', 1, api],
      ['https://APP.example.com:8443/api/', 1, api],
      ['app.example.com/%61pi', 1, api],
      ['https://app.example.com/v2/api', 2, wildcard],
      ['https://app.example.com/apis', 2, wildcard],
      ['https://example.com/health', 3, health],
      ['https://example.com/health/more', 4, catchAll],
      ['http://other.test/', 4, catchAll],
    ])('matches %s to rule %i', async (url, number, rule) => {
      const result = await runKeyway(['tunnel', 'ingress', 'rule', url, '--config', good])

      expect(result.code).toBe(0)
      expect(result.stdout).toBe(`rule ${number}: ${rule}`)
    })

    it('exits 2 for a URL that cannot be parsed', async () => {
      const result = await runKeyway(['tunnel', 'ingress', 'rule', 'http://[', '--config', good])

      expect(result.code).toBe(2)
      expect(result.stderr).toBe(
        'error: "http://[" is not a URL; write it like https://app.example.com/api/users',
      )
    })

    it('exits 1 with the config problems when the config is bad', async () => {
      const result = await runKeyway(['tunnel', 'ingress', 'rule', 'https://a.test/', '-c', bad])

      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^error: invalid connector config .*bad\.yaml \(5 problems/)
    })
  })
})
