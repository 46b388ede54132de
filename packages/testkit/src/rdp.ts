import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { constants } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { TestkitError, TestkitErrorCode } from './errors.js'
import { freePort, waitForListen } from './ports.js'
import { requireTool } from './require-tool.js'
import { spawnProcess, type ProcessHandle } from './spawn-process.js'

const run = promisify(execFile)
const tools = {
  xvfb: ['/usr/bin/Xvfb', 'xvfb'],
  winprHash: ['/usr/bin/winpr-hash', 'winpr-utils'],
  shadow: ['/usr/bin/freerdp-shadow-cli', 'freerdp2-shadow-x11'],
  xfreerdp: ['/usr/bin/xfreerdp', 'freerdp2-x11'],
} as const

/** A virtual X display. */
export interface Xvfb {
  /** The display number: use `DISPLAY=:N`. */
  readonly display: number
  readonly process: ProcessHandle
  stop(): Promise<void>
}

/**
 * Starts Xvfb on a display number it picks itself (`-displayfd`, so parallel tests never
 * collide) with `-noreset`, which the shadow server needs: it opens the display twice.
 */
export async function startXvfb(options: { width?: number; height?: number } = {}): Promise<Xvfb> {
  requireTool(...tools.xvfb)
  const screen = `${options.width ?? 1024}x${options.height ?? 768}x24`
  const child = spawnProcess(
    tools.xvfb[0],
    ['-displayfd', '1', '-noreset', '-screen', '0', screen, '-nolisten', 'tcp'],
    { name: 'Xvfb' },
  )
  const line = await child.waitForLine(/^\d+$/, { stream: 'stdout', timeoutMs: 15_000 })
  return { display: Number(line), process: child, stop: async () => void (await child.stop()) }
}

/** Options of {@link startRdpShadow}. */
export interface RdpShadowOptions {
  /** An existing scratch folder for the SAM file. */
  readonly dir: string
  readonly user: string
  readonly password: string
}

/** A running FreeRDP shadow server that checks credentials with NLA. */
export interface RdpShadow {
  readonly port: number
  readonly display: number
  readonly process: ProcessHandle
  /** Stops the server, then its display. */
  stop(): Promise<void>
}

/**
 * Starts `freerdp-shadow-cli /sec:nla +auth` on a free loopback port, sharing a fresh Xvfb
 * display, with a SAM file from `winpr-hash` holding the one user: a real RDP server whose
 * NLA handshake accepts only the right password.
 */
export async function startRdpShadow(options: RdpShadowOptions): Promise<RdpShadow> {
  requireTool(...tools.winprHash)
  requireTool(...tools.shadow)
  const samFile = join(options.dir, 'rdp.sam')
  const hashed = await run(
    tools.winprHash[0],
    ['-u', options.user, '-p', options.password, '-f', 'sam'],
  )
  writeFileSync(samFile, hashed.stdout, { mode: 0o600 })
  const xvfb = await startXvfb()

  let lastError: unknown
  // A free port can be taken between the probe and the server's bind; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const child = spawnProcess(
      tools.shadow[0],
      ['/bind-address:127.0.0.1', `/port:${port}`, '/sec:nla', '+auth', `/sam-file:${samFile}`],
      { name: 'freerdp-shadow-cli', env: { DISPLAY: `:${xvfb.display}` } },
    )
    try {
      await waitForListen(port, { process: child, timeoutMs: 20_000 })
    } catch (err) {
      lastError = err
      await child.stop()
      if (err instanceof TestkitError && err.code === TestkitErrorCode.processExited) continue
      break
    }
    return {
      port,
      display: xvfb.display,
      process: child,
      stop: async () => {
        await child.stop()
        await xvfb.stop()
      },
    }
  }
  await xvfb.stop()
  throw lastError
}

/** Options of {@link runXfreerdpAuthOnly}. */
export interface XfreerdpAuthOptions {
  /** Default 127.0.0.1. */
  readonly host?: string
  readonly port: number
  readonly user: string
  readonly password: string
  /** Default 60,000 ms; past it the client is killed and the call rejects. */
  readonly timeoutMs?: number
  readonly extraArgs?: readonly string[]
}

/** How an `xfreerdp` run ended. */
export interface XfreerdpResult {
  /** 0 when authentication succeeded; 147 for a wrong password against NLA; 128+N on signal N. */
  readonly exitCode: number
  readonly output: string
}

/**
 * Runs `xfreerdp +auth-only /cert:ignore` against HOST:PORT on its own Xvfb display (the
 * client needs one even for this): the X.224, TLS and CredSSP (NLA) handshake, then exit.
 */
export async function runXfreerdpAuthOnly(options: XfreerdpAuthOptions): Promise<XfreerdpResult> {
  requireTool(...tools.xfreerdp)
  const xvfb = await startXvfb({ width: 640, height: 480 })
  const child = spawnProcess(
    tools.xfreerdp[0],
    [
      `/v:${options.host ?? '127.0.0.1'}:${options.port}`,
      '+auth-only',
      `/u:${options.user}`,
      `/p:${options.password}`,
      '/cert:ignore',
      ...(options.extraArgs ?? []),
    ],
    { name: 'xfreerdp', env: { DISPLAY: `:${xvfb.display}` } },
  )
  try {
    const info = await child.waitForExit(options.timeoutMs ?? 60_000)
    const bySignal = info.signal ? constants.signals[info.signal] : 0
    return { exitCode: info.code ?? 128 + bySignal, output: child.output() }
  } finally {
    await child.stop('SIGKILL')
    await xvfb.stop()
  }
}
