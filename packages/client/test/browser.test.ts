import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { tempDir, type TempDir } from '@keyway/testkit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { systemBrowser } from '../src/browser.js'

const loginUrl = 'http://ssh.localhost:8080/.keyway/cli?port=40000&nonce=abc'

/** Resolves once `path` has content, or rejects after `timeoutMs`. */
async function contentOf(path: string, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (existsSync(path) && readFileSync(path, 'utf8') !== '') return readFileSync(path, 'utf8')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`nothing was written to ${path}`)
}

describe('systemBrowser', () => {
  let dir: TempDir
  let recorder: string
  let argsFile: string

  beforeEach(() => {
    dir = tempDir('keyway-client-browser-')
    argsFile = join(dir.path, 'args')
    recorder = join(dir.path, 'browser.sh')
    const script = `for a in "$@"; do printf '%s\\n' "$a"; done > '${argsFile}'`
    writeFileSync(recorder, `#!/bin/sh\n${script}\n`)
    chmodSync(recorder, 0o755)
  })
  afterEach(async () => {
    await dir.remove()
  })

  it('prints the URL on stderr and starts $BROWSER with it', async () => {
    const stderr = new PassThrough()
    const printed: Buffer[] = []
    stderr.on('data', (chunk: Buffer) => printed.push(chunk))

    await systemBrowser({ stderr, env: { BROWSER: recorder, PATH: '' } })(loginUrl)

    expect(await contentOf(argsFile)).toBe(`${loginUrl}\n`)
    expect(Buffer.concat(printed).toString()).toBe(
      `keyway: to log in, open this URL in a browser:\n  ${loginUrl}\n`)
  })

  it('passes the words of $BROWSER and puts the URL in place of %s', async () => {
    const env = { BROWSER: `${recorder} --new-window %s --incognito:other-browser`, PATH: '' }

    await systemBrowser({ stderr: new PassThrough(), env })(loginUrl)

    expect(await contentOf(argsFile)).toBe(`--new-window\n${loginUrl}\n--incognito\n`)
  })

  it('only prints the URL without $BROWSER or a display', async () => {
    const stderr = new PassThrough()
    const printed: Buffer[] = []
    stderr.on('data', (chunk: Buffer) => printed.push(chunk))

    await systemBrowser({ stderr, env: { PATH: dir.path } })(loginUrl)

    expect(Buffer.concat(printed).toString()).toContain(loginUrl)
    expect(existsSync(argsFile)).toBe(false)
  })
})
