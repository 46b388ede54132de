import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { tempDir } from '../src/index.js'

describe('tempDir', () => {
  it('creates a fresh directory and removes it with its contents', async () => {
    const first = tempDir()
    const second = tempDir()
    expect(first.path).not.toBe(second.path)
    writeFileSync(join(first.path, 'file.txt'), 'x')
    await first.remove()
    await first.remove()
    expect(existsSync(first.path)).toBe(false)
    expect(existsSync(second.path)).toBe(true)
    await second.remove()
  })

  it('rejects a prefix with a slash', () => {
    expect(() => tempDir('a/b')).toThrow(TypeError)
  })
})
