import { execFile } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { TestkitError, TestkitErrorCode } from './errors.js'
import { freePort, waitForListen } from './ports.js'
import { requireTool } from './require-tool.js'
import { spawnProcess, type ProcessHandle } from './spawn-process.js'

const run = promisify(execFile)
const sshdPath = '/usr/sbin/sshd'
const sshKeygenPath = '/usr/bin/ssh-keygen'

/** Options of {@link startSshd}. */
export interface SshdOptions {
  /** An existing scratch folder for keys, config and log (see `tempDir`). */
  readonly dir: string
  /** More `sshd_config` lines. */
  readonly extraConfig?: readonly string[]
}

/** A running OpenSSH server on 127.0.0.1 that lets root in with {@link Sshd.clientKey}. */
export interface Sshd {
  readonly port: number
  /** Private key that the server accepts for root. */
  readonly clientKey: string
  /** A known_hosts file pinning the host key under {@link Sshd.hostKeyAlias}. */
  readonly knownHostsFile: string
  /** `[127.0.0.1]:PORT`: the name the host key is pinned under, whatever host ssh dials. */
  readonly hostKeyAlias: string
  /** `root@127.0.0.1`. */
  readonly destination: string
  readonly logFile: string
  readonly process: ProcessHandle
  /**
   * Options for `ssh` and `scp` that ignore user config, use only the client key, never
   * prompt, and pin the host key: `[...sshd.sshArgs(), '-p', port, destination, command]`.
   */
  sshArgs(extra?: readonly string[]): string[]
  /** The server's log so far. */
  log(): string
  stop(): Promise<void>
}

/**
 * Starts `/usr/sbin/sshd -D` on a free loopback port with fresh ed25519 host and client keys
 * in `dir`. Needs root, and the Debian packages openssh-server and openssh-client.
 */
export async function startSshd(options: SshdOptions): Promise<Sshd> {
  requireTool(sshdPath, 'openssh-server')
  requireTool(sshKeygenPath, 'openssh-client')
  // sshd refuses to start without its privilege separation directory.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const dir = options.dir
  const hostKey = join(dir, 'ssh_host_ed25519_key')
  const clientKey = join(dir, 'client_ed25519_key')
  const authorizedKeys = join(dir, 'authorized_keys')
  for (const key of [hostKey, clientKey]) {
    if (!existsSync(key)) await run(sshKeygenPath, ['-q', '-t', 'ed25519', '-N', '', '-f', key])
  }
  copyFileSync(`${clientKey}.pub`, authorizedKeys)
  chmodSync(authorizedKeys, 0o600)

  let lastError: unknown
  // A free port can be taken between the probe and sshd's bind; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnFreePort(dir, hostKey, clientKey, authorizedKeys, options)
    } catch (err) {
      lastError = err
      if (!(err instanceof TestkitError) || err.code !== TestkitErrorCode.processExited) throw err
    }
  }
  throw lastError
}

async function startOnFreePort(
  dir: string,
  hostKey: string,
  clientKey: string,
  authorizedKeys: string,
  options: SshdOptions,
): Promise<Sshd> {
  const port = await freePort()
  const configFile = join(dir, 'sshd_config')
  const logFile = join(dir, 'sshd.log')
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    // Keys live under the world-writable temp dir.
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'PrintMotd no',
    'LogLevel VERBOSE',
    'Subsystem sftp internal-sftp',
    ...(options.extraConfig ?? []),
  ]
  writeFileSync(configFile, `${config.join('\n')}\n`)
  writeFileSync(logFile, '')
  try {
    await run(sshdPath, ['-t', '-f', configFile])
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err)
    throw new TestkitError(TestkitErrorCode.peerFailed, `sshd rejected its config: ${stderr}`)
  }

  const child = spawnProcess(sshdPath, ['-D', '-f', configFile, '-E', logFile], { name: 'sshd' })
  const readLog = (): string => readFileSync(logFile, 'utf8')
  await waitForListen(port, { process: child, describeFailure: () => `sshd.log:\n${readLog()}` })

  const hostKeyAlias = `[127.0.0.1]:${port}`
  const publicHostKey = readFileSync(`${hostKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
  const knownHostsFile = join(dir, 'known_hosts')
  writeFileSync(knownHostsFile, `${hostKeyAlias} ${publicHostKey}\n`)

  return {
    port,
    clientKey,
    knownHostsFile,
    hostKeyAlias,
    destination: 'root@127.0.0.1',
    logFile,
    process: child,
    sshArgs: (extra = []) => [
      '-F', '/dev/null',
      '-i', clientKey,
      '-o', 'IdentitiesOnly=yes',
      '-o', 'BatchMode=yes',
      '-o', `UserKnownHostsFile=${knownHostsFile}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `HostKeyAlias=${hostKeyAlias}`,
      ...extra,
    ],
    log: readLog,
    stop: async () => {
      await child.stop()
    },
  }
}
