import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir, type TempDir } from '@keyway/testkit'

import { CliErrorCode } from '../src/errors.js'
import { resolveTunnelToken } from '../src/token-source.js'
import { writeFile } from './support/keyway.js'

let dir: TempDir

beforeAll(() => {
  dir = tempDir('keyway-cli-token-')
})

afterAll(async () => {
  await dir.remove()
})

describe('resolveTunnelToken', () => {
  it('prefers the token file over --token and the environment', () => {
    const tokenFile = writeFile(dir.path, 'a.token', 'keyway1.file.secret\r\n')

    const token = resolveTunnelToken({ tokenFile, token: 'keyway1.flag.x', envToken: 'e' })

    expect(token).toBe('keyway1.file.secret')
  })

  it('prefers --token over the environment', () => {
    expect(resolveTunnelToken({ token: 'keyway1.flag.x', envToken: 'keyway1.env.y' })).toBe(
      'keyway1.flag.x',
    )
  })

  it('falls back to the environment', () => {
    expect(resolveTunnelToken({ envToken: 'keyway1.env.y' })).toBe('keyway1.env.y')
  })

  it.each([
    [{}, CliErrorCode.tokenMissing],
    [{ envToken: '' }, CliErrorCode.tokenMissing],
    [{ token: '   ' }, CliErrorCode.tokenMissing],
    [{ token: 'keyway1.a.b c' }, CliErrorCode.tokenMalformed],
  ])('refuses %j with %s', (sources, code) => {
    expect(() => resolveTunnelToken(sources)).toThrow(expect.objectContaining({ code }))
  })

  it('refuses a token file too large to be a token without printing its content', () => {
    const tokenFile = writeFile(dir.path, 'big.token', 'x'.repeat(5000))

    expect(() => resolveTunnelToken({ tokenFile })).toThrow(
      expect.objectContaining({
        code: CliErrorCode.tokenMalformed,
        message: expect.not.stringContaining('xxx'),
      }),
    )
  })

  it('never puts a malformed token into the message', () => {
    expect(() => resolveTunnelToken({ token: 'keyway1.a.secret value' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret') }),
    )
  })
})
