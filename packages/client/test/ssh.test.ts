import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startSshd, stopAll, tempDir, type Sshd, type TempDir } from '@keyway/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenCache } from '../src/token-cache.js'
import { startRelayHarness, testCredentials, type RelayHarness } from './support/relay-harness.js'

const proxyScript = join(dirname(fileURLToPath(import.meta.url)), 'support', 'proxy-command.mjs')

interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to completion (killed after `timeoutMs`), stdin from a file or nothing. */
function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdinFile?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  const stdinFd = options.stdinFile === undefined ? 'ignore' : openSync(options.stdinFile, 'r')
  const child = spawn(command, args, {
    stdio: [stdinFd, 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  })
  if (typeof stdinFd === 'number') closeSync(stdinFd)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('OpenSSH through the access client', () => {
  let dir: TempDir
  let sshd: Sshd
  let h: RelayHarness
  let home: string
  let deniedHome: string
  let emptyHome: string
  let bigFile: string
  let bigDigest: string

  beforeAll(async () => {
    dir = tempDir('keyway-client-ssh-')
    sshd = await startSshd({ dir: dir.path })
    h = await startRelayHarness({ ssh: `ssh://127.0.0.1:${sshd.port}` })
    home = join(dir.path, 'home')
    deniedHome = join(dir.path, 'denied-home')
    emptyHome = join(dir.path, 'empty-home')
    new TokenCache({ home }).write(h.urlOf('ssh'), testCredentials.goodToken)
    new TokenCache({ home: deniedHome }).write(h.urlOf('ssh'), testCredentials.deniedToken)
    bigFile = join(dir.path, 'big.bin')
    const content = randomBytes(64 * 1024 * 1024)
    writeFileSync(bigFile, content)
    bigDigest = createHash('sha256').update(content).digest('hex')
  })
  afterAll(async () => {
    await h?.close()
    await stopAll()
    await dir?.remove()
  })

  const proxyOption = () => `ProxyCommand=${process.execPath} ${proxyScript} ${h.urlOf('ssh')}`
  const ssh = (keywayHome: string, remote: string[], stdinFile?: string, env = {}) =>
    run(
      'ssh',
      [
        ...sshd.sshArgs(['-o', proxyOption()]),
        'root@ssh.localhost',
        ...remote,
      ],
      {
        env: { KEYWAY_HOME: keywayHome, ...env },
        ...(stdinFile === undefined ? {} : { stdinFile }),
        timeoutMs: 60_000,
      },
    )

  it('runs a command over the tunnel', async () => {
    const result = await ssh(home, ['echo', 'hello from sshd'])

    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('hello from sshd\n')
    expect(result.code).toBe(0)
  })

  it('carries 64 MiB whose SHA-256 matches on both sides', async () => {
    const result = await ssh(home, ['sha256sum'], bigFile)

    expect(result.code).toBe(0)
    expect(result.stdout.split(' ')[0]).toBe(bigDigest)
  })

  it('copies 64 MiB with scp intact', async () => {
    const copy = join(dir.path, 'copy.bin')
    const result = await run(
      'scp',
      [
        ...sshd.sshArgs(['-o', proxyOption()]),
        bigFile,
        `root@ssh.localhost:${copy}`,
      ],
      { env: { KEYWAY_HOME: home }, timeoutMs: 60_000 },
    )

    expect(result.code).toBe(0)
    expect(createHash('sha256').update(readFileSync(copy)).digest('hex')).toBe(bigDigest)
  })

  it('connects with a service token and no cached login', async () => {
    const result = await ssh(emptyHome, ['echo', 'machine'], undefined, {
      KEYWAY_SERVICE_TOKEN_ID: testCredentials.serviceId,
      KEYWAY_SERVICE_TOKEN_SECRET: testCredentials.serviceSecret,
    })

    expect(result.stdout).toBe('machine\n')
    expect(result.code).toBe(0)
  })

  it('gives a user whom policy denies one clear line and a non-zero exit', async () => {
    const result = await ssh(deniedHome, ['echo', 'should not run'])

    expect(result.stdout).toBe('')
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(
      `keyway: access to ${new URL(h.urlOf('ssh')).host} is denied by its policy`,
    )
  })

  it('tells a user who is not logged in how to log in', async () => {
    const result = await ssh(emptyHome, ['true'])

    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(`run: keyway access login ${h.urlOf('ssh')}`)
  })
})
