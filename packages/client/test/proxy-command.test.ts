import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTcpEcho, tempDir, type TcpEcho, type TempDir } from '@keyway/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRelayHarness, testCredentials, type RelayHarness } from './support/relay-harness.js'

const proxyScript = join(dirname(fileURLToPath(import.meta.url)), 'support', 'proxy-command.mjs')

describe('sshProxy on the real standard input and output', () => {
  let dir: TempDir
  let sorter: TcpEcho
  let h: RelayHarness

  beforeAll(async () => {
    dir = tempDir('keyway-client-proxy-')
    sorter = await startTcpEcho({ mode: 'sort' })
    h = await startRelayHarness({ sort: `tcp://127.0.0.1:${sorter.port}` })
  })
  afterAll(async () => {
    await h?.close()
    await sorter?.close()
    await dir?.remove()
  })

  const runProxy = (input: string, env: Record<string, string>) => {
    const child = spawn(process.execPath, [proxyScript, h.urlOf('sort')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, KEYWAY_HOME: dir.path, ...env },
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdin.end(input)
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      child.once('close', (code) => {
        clearTimeout(timer)
        resolve({ code, stdout, stderr })
      })
    })
  }

  it('writes only the app bytes and exits 0 on its own once both sides ended', async () => {
    const result = await runProxy('pear\napple\n', {
      KEYWAY_SERVICE_TOKEN_ID: testCredentials.serviceId,
      KEYWAY_SERVICE_TOKEN_SECRET: testCredentials.serviceSecret,
    })

    expect(result).toEqual({ code: 0, stdout: 'apple\npear\n', stderr: '' })
  })

  it('exits 1 with one line on standard error when refused', async () => {
    const result = await runProxy('x\n', {
      KEYWAY_SERVICE_TOKEN_ID: testCredentials.serviceId,
      KEYWAY_SERVICE_TOKEN_SECRET: 'wrong',
    })

    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^keyway: the service token was refused by sort\.localhost:/)
  })
})
