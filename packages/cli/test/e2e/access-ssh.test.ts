import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  freePort,
  startSshd,
  stopAll,
  tempDir,
  type Sshd,
  type TempDir,
} from '@keyway/testkit'

import {
  auditedSession,
  browserRecorder,
  loginAs,
  startTcpAppStack,
  userHome,
  type TcpAppSpec,
  type TcpAppStack,
} from './support/tcp-app-stack.js'
import { delay, keywayBin, startKeyway } from './support/keyway-process.js'
import { runTool, type RunToolOptions } from './support/run-tool.js'

const MiB = 1024 * 1024
let sshDir: TempDir
let sshd: Sshd
let stack: TcpAppStack
let aliceHome: string
let bobHome: string
let bigFile: string
let bigDigest: string
let closedPort: number

function sshApp(allowed: readonly string[]): TcpAppSpec {
  return {
    name: 'ssh',
    service: `ssh://127.0.0.1:${sshd.port}`,
    policies: [
      { name: 'ci', action: 'service_auth', include: [{ serviceToken: ['ci'] }] },
      { name: 'staff', action: 'allow', include: [{ email: allowed }] },
    ],
  }
}

/** The ssh app with `allowed` users, and `down`, an SSH app whose server is not running. */
function apps(allowed: readonly string[]): TcpAppSpec[] {
  return [sshApp(allowed), {
    name: 'down',
    service: `ssh://127.0.0.1:${closedPort}`,
    policies: [{ name: 'ci', action: 'service_auth', include: [{ serviceToken: ['ci'] }] }],
  }]
}

/** Environment of a user's shell: `keyway` on PATH, their token cache, no service token. */
function userEnv(home: string): RunToolOptions['env'] {
  return {
    PATH: `${stack.binDir}:${process.env['PATH'] ?? ''}`,
    KEYWAY_HOME: home,
    KEYWAY_SERVICE_TOKEN_ID: undefined,
    KEYWAY_SERVICE_TOKEN_SECRET: undefined,
    BROWSER: undefined,
    DISPLAY: undefined,
  }
}

/** `ssh` options with the ProxyCommand as a user writes it: `%h` is the app's hostname. */
function proxyArgs(): string[] {
  const command = `keyway access ssh --hostname http://%h:${stack.relay.publicPort}`
  return sshd.sshArgs(['-o', `ProxyCommand=${command}`])
}

beforeAll(async () => {
  sshDir = tempDir('keyway-e2e-sshd-')
  sshd = await startSshd({ dir: sshDir.path })
  closedPort = await freePort()
  stack = await startTcpAppStack({
    apps: apps(['alice@example.test', 'bob@example.test']),
    serviceTokens: ['ci', 'other'],
  })
  aliceHome = userHome(stack, 'alice')
  bobHome = userHome(stack, 'bob')
  await loginAs(stack, 'ssh', 'alice', aliceHome)
  await loginAs(stack, 'ssh', 'bob', bobHome)
  const content = randomBytes(64 * MiB)
  bigFile = join(sshDir.path, 'big.bin')
  writeFileSync(bigFile, content)
  bigDigest = createHash('sha256').update(content).digest('hex')
})

afterAll(async () => {
  await stopAll()
  await stack?.dir.remove()
  await sshDir?.remove()
})

describe('keyway access ssh', () => {
  it('is the ProxyCommand of ssh running a command on sshd through the tunnel', async () => {
    const result = await runTool('ssh', [...proxyArgs(), 'root@ssh.localhost',
      'echo hello from sshd; whoami'], { env: userEnv(aliceHome) })

    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('hello from sshd\nroot\n')
    expect(result.code).toBe(0)
  })

  it('copies a 64 MiB random file with scp, the SHA-256 equal on both sides', async () => {
    const copy = join(sshDir.path, 'copy.bin')
    const copied = await runTool('scp', [...proxyArgs(), bigFile,
      `root@ssh.localhost:${copy}`], { env: userEnv(aliceHome), timeoutMs: 120_000 })
    const remote = await runTool('ssh', [...proxyArgs(), 'root@ssh.localhost',
      `sha256sum ${copy}`], { env: userEnv(aliceHome) })

    expect(copied.stderr).toBe('')
    expect(copied.code).toBe(0)
    expect(remote.stdout.split(' ')[0]).toBe(bigDigest)
    expect(createHash('sha256').update(readFileSync(copy)).digest('hex')).toBe(bigDigest)
  })

  it('records the session with user, app, client IP, start, end and bytes each way', async () => {
    const since = stack.relay.handle.log.nextSeq
    const result = await runTool('ssh', [...proxyArgs(), 'root@ssh.localhost',
      'head -c 100000 /dev/zero'], { env: userEnv(aliceHome) })
    // The session of an earlier test may still be closing: pick this one by what it carried.
    const session = await stack.relay.handle.waitForJsonLine((entry) =>
      entry['msg'] === 'tcp session' && Number(entry['bytesOut']) > 100_000,
    { since, timeoutMs: 15_000 })
    const decision = await stack.relay.handle.waitForJsonLine(
      (entry) => entry['msg'] === 'access decision' && entry['reqId'] === session['reqId'],
      { since: 0, timeoutMs: 15_000 })

    expect(result.stdout.length).toBe(100_000)
    expect(session).toMatchObject({ user: 'alice@example.test', app: 'ssh',
      decision: 'allow', clientIp: '127.0.0.1', status: 101, outcome: 'closed' })
    expect(decision).toMatchObject({ user: 'alice@example.test', app: 'ssh',
      decision: 'allow', policy: 'staff', clientIp: '127.0.0.1' })
    expect(session['bytesOut']).toBeGreaterThan(100_000)
    expect(session['bytesIn']).toBeGreaterThan(1_000)
    const startedAt = Date.parse(String(session['startedAt']))
    const endedAt = Date.parse(String(session['endedAt']))
    expect(endedAt).toBeGreaterThanOrEqual(startedAt)
    expect(endedAt - startedAt).toBe(session['durationMs'])
    const audited = await auditedSession(stack, 'ssh', String(session['reqId']))
    expect(audited).toMatchObject({ decision: 'allow', app: 'ssh', email: 'alice@example.test',
      clientIp: '127.0.0.1', policy: 'staff' })
    expect(audited['tcp']).toEqual({ startedAtMs: startedAt, endedAtMs: endedAt,
      bytesIn: session['bytesIn'], bytesOut: session['bytesOut'], outcome: 'closed' })
  })

  it('carries a session for a service token, never opening a browser', async () => {
    const recorder = browserRecorder(stack, 'ci-browser')
    const ci = stack.serviceTokens['ci'] ?? { clientId: '', clientSecret: '' }
    const { clientId, clientSecret } = ci
    const result = await runTool('ssh', [...proxyArgs(), 'root@ssh.localhost', 'echo machine'], {
      env: {
        ...userEnv(userHome(stack, 'ci-runner')),
        KEYWAY_SERVICE_TOKEN_ID: clientId,
        KEYWAY_SERVICE_TOKEN_SECRET: clientSecret,
        ...recorder.env,
      },
    })

    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('machine\n')
    expect(result.code).toBe(0)
    expect(readFileSync(recorder.logFile, 'utf8')).toBe('')
  })

  it('opens the browser at the login when there is no token and no service token', async () => {
    const recorder = browserRecorder(stack, 'first-login-browser')
    const proxy = startKeyway(['access', 'ssh', '--hostname', stack.appUrl('ssh')],
      'access ssh without login', { ...userEnv(userHome(stack, 'newcomer')), ...recorder.env })
    try {
      const line = await proxy.waitForLine(/^ {2}http:/, { stream: 'stderr' })
      while (readFileSync(recorder.logFile, 'utf8') === '') await delay(50)

      expect(readFileSync(recorder.logFile, 'utf8')).toBe(`${line.trim()}\n`)
      expect(line.trim()).toMatch(
        new RegExp(`^${stack.appUrl('ssh')}/\\.keyway/cli\\?port=\\d+&nonce=[\\w-]{43}$`))
      expect(proxy.output('stdout')).toBe('')
    } finally {
      await proxy.stop()
    }
  })

  it('prints an ssh_config block that ssh uses as it is', async () => {
    const url = stack.appUrl('ssh')
    const printed = await runTool(process.execPath,
      [keywayBin, 'access', 'ssh-config', '--hostname', url])
    const configFile = join(sshDir.path, 'ssh_config')
    writeFileSync(configFile, printed.stdout)
    const args = proxyArgs()
    args.splice(args.indexOf('-F'), 2, '-F', configFile)
    args.splice(args.findIndex((arg) => arg.startsWith('ProxyCommand=')) - 1, 2)
    const result = await runTool('ssh', [...args, 'root@ssh.localhost', 'echo via config'],
      { env: userEnv(aliceHome) })

    expect(printed.stdout).toBe(
      `Host ssh.localhost\n  ProxyCommand keyway access ssh --hostname ${url}\n`)
    expect(result.stdout).toBe('via config\n')
    expect(result.code).toBe(0)
  })
})

describe('keyway access ssh refusals', () => {
  const proxy = (home: string, hostname: string, env: RunToolOptions['env'] = {}) =>
    runTool(process.execPath, [keywayBin, 'access', 'ssh', '--hostname', hostname],
      { env: { ...userEnv(home), ...env } })

  it('refuses a user the policy denies: one line, exit 1, and ssh fails', async () => {
    await stack.reloadApps(apps(['alice@example.test']))
    try {
      const url = stack.appUrl('ssh')
      const direct = await proxy(bobHome, url)
      const viaSsh = await runTool('ssh', [...proxyArgs(), 'root@ssh.localhost', 'true'],
        { env: userEnv(bobHome) })
      const audit = await runTool(process.execPath, [keywayBin, 'logs', '--config',
        stack.relay.configFile, '--app', 'ssh', '--user', 'bob@example.test', '--decision',
        'deny', '--json'])

      expect(direct.stdout).toBe('')
      expect(direct.stderr).toBe(
        `error: access to ssh.localhost:${stack.relay.publicPort} is denied by its policy ` +
          "(HTTP 403); ask the app's administrators for access\n")
      expect(direct.code).toBe(1)
      expect(viaSsh.stdout).toBe('')
      expect(viaSsh.stderr).toContain('is denied by its policy')
      expect(viaSsh.code).toBe(255)
      const denials = audit.stdout.trim().split('\n').map((line) => JSON.parse(line) as
        Record<string, unknown>)
      expect(denials.length).toBe(2)
      expect(denials[0]).toMatchObject({ app: 'ssh', email: 'bob@example.test',
        decision: 'deny', reason: 'no_matching_policy', clientIp: '127.0.0.1' })
    } finally {
      await stack.reloadApps(apps(['alice@example.test', 'bob@example.test']))
    }
  })

  it('refuses a service token that no policy names', async () => {
    const other = stack.serviceTokens['other'] ?? { clientId: '', clientSecret: '' }
    const result = await proxy(userHome(stack, 'other'), stack.appUrl('ssh'), {
      KEYWAY_SERVICE_TOKEN_ID: other.clientId,
      KEYWAY_SERVICE_TOKEN_SECRET: other.clientSecret,
    })

    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^error: access to ssh\.localhost:\d+ is denied \(HTTP 403\)/)
    expect(result.stderr).toContain('check --service-token-id and --service-token-secret')
    expect(result.stderr.split('\n').length).toBe(2)
    expect(result.code).toBe(1)
  })

  it('says the app is unavailable when its server does not answer', async () => {
    const result = await proxy(aliceHome, stack.appUrl('down'), {
      KEYWAY_SERVICE_TOKEN_ID: stack.serviceTokens['ci']?.clientId,
      KEYWAY_SERVICE_TOKEN_SECRET: stack.serviceTokens['ci']?.clientSecret,
    })

    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^error: down\.localhost:\d+ is unavailable \(HTTP 502 \S+\): /)
    expect(result.stderr.split('\n').length).toBe(2)
    expect(result.code).toBe(1)
  })

  it('names the missing app when the hostname has none', async () => {
    const url = `http://nothing.localhost:${stack.relay.publicPort}`
    const result = await proxy(aliceHome, url, {
      KEYWAY_SERVICE_TOKEN_ID: stack.serviceTokens['ci']?.clientId,
      KEYWAY_SERVICE_TOKEN_SECRET: stack.serviceTokens['ci']?.clientSecret,
    })

    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^error: the relay has no app at nothing\.localhost:\d+ /)
    expect(result.code).toBe(1)
  })

  it('says the relay cannot be reached when nothing listens', async () => {
    const result = await proxy(aliceHome, 'http://ssh.localhost:9')

    expect(result.stdout).toBe('')
    expect(result.stderr).toBe('error: cannot reach the relay for ssh.localhost:9 at ' +
      'ssh.localhost:9 (ECONNREFUSED); check the hostname and your network\n')
    expect(result.code).toBe(1)
  })
})
