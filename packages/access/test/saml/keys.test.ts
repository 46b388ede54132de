import { statSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import { samlKeyDefaults, SamlKeyStore } from '../../src/saml/index.js'
import { identityProvider, samlApp, scratchDir } from './support.js'

const scratch = scratchDir('keyway-saml-keys-')
afterAll(() => scratch.remove())

const day = 24 * 3600_000
const rotationMs = 100 * day
const overlapMs = 10 * day

function certificatesIn(metadata: string): string[] {
  return [...metadata.matchAll(/<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/g)]
    .map((match) => match[1] ?? '')
}

describe('SamlKeyStore', () => {
  describe('#publishedKeys', () => {
    it('publishes the next certificate in metadata while a rotation overlaps', () => {
      let now = Date.UTC(2026, 0, 1)
      const keys = SamlKeyStore.open({ rotationMs, overlapMs, nowMs: () => now })
      const idp = identityProvider(keys, () => now)
      const first = keys.signingKey()
      expect(certificatesIn(idp.metadata(samlApp()).body)).toEqual([first.certificateBody])

      now += rotationMs - overlapMs
      const published = keys.publishedKeys()
      expect(published).toHaveLength(2)
      expect(published[0]?.id).toBe(first.id)
      expect(keys.signingKey().id).toBe(first.id)
      const next = published[1]
      expect(next?.activatesAtMs).toBe(Date.UTC(2026, 0, 1) + rotationMs)
      expect(certificatesIn(idp.metadata(samlApp()).body))
        .toEqual([first.certificateBody, next?.certificateBody])

      now += overlapMs
      expect(keys.signingKey().id).toBe(next?.id)
      expect(certificatesIn(idp.metadata(samlApp()).body)).toEqual([next?.certificateBody])
    })

    it('publishes a late successor for the whole overlap before it signs', () => {
      let now = Date.UTC(2026, 0, 1)
      const keys = SamlKeyStore.open({ rotationMs, overlapMs, nowMs: () => now })
      const first = keys.signingKey()
      now += 2 * rotationMs
      expect(keys.signingKey().id).toBe(first.id)
      expect(keys.publishedKeys()[1]?.activatesAtMs).toBe(now + overlapMs)
    })
  })

  describe('.open', () => {
    it('keeps the keys in a 0600 file and reads the same keys back', () => {
      const dataDir = join(scratch.dir, 'data')
      const keys = SamlKeyStore.open({ dataDir })
      const file = join(dataDir, samlKeyDefaults.fileName)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(SamlKeyStore.open({ dataDir }).signingKey().id).toBe(keys.signingKey().id)
    })
  })
})
