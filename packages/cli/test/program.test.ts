import { afterAll, describe, expect, it } from 'vitest'
import { stopAll } from '@keyway/testkit'

import { runKeyway } from './support/keyway.js'

afterAll(stopAll)

describe('keyway', () => {
  describe('--help', () => {
    it('lists every command with a one-line description', async () => {
      const result = await runKeyway(['--help'])

      expect(result.code).toBe(0)
      const overview = result.stdout.slice(result.stdout.indexOf('All commands:'))
      const commands = overview
        .split('\n')
        .filter((line) => line.startsWith('  keyway '))
        // A long usage puts its description on the next line.
        .map((line) => line.trim().split(/\s{2,}/)[0])
      expect(commands).toEqual([
        'keyway relay --config <file>',
        'keyway tunnel token <name> --config <file>',
        'keyway tunnel rotate <name> --config <file>',
        'keyway tunnel run --config <file>',
        'keyway tunnel ingress validate --config <file>',
        'keyway tunnel ingress rule <url> --config <file>',
        'keyway access login [url]',
        'keyway access token [url]',
        'keyway access ssh --hostname <host>',
        'keyway access ssh-config --hostname <host>',
        'keyway access tcp --hostname <host> --listen <address>',
        'keyway access service-token create <name> --config <file>',
        'keyway access service-token list --config <file>',
        'keyway access service-token remove <name> --config <file>',
        'keyway logs --config <file>',
        'keyway demo',
      ])
    })
  })

  describe('--version', () => {
    it('prints the package version', async () => {
      const result = await runKeyway(['--version'])

      expect(result.code).toBe(0)
      expect(result.stdout).toBe('0.1.0')
    })
  })

  describe('usage errors', () => {
    it('exits 2 and names the unknown command', async () => {
      const result = await runKeyway(['tunnle'])

      expect(result.code).toBe(2)
      expect(result.stderr).toContain("error: unknown command 'tunnle'")
    })

    it('exits 2 when --config is missing', async () => {
      const result = await runKeyway(['tunnel', 'ingress', 'validate'])

      expect(result.code).toBe(2)
      expect(result.stderr).toContain("required option '-c, --config <file>' not specified")
    })
  })
})
