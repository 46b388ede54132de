import { spawn, type ChildProcess } from 'node:child_process'
import type { Writable } from 'node:stream'

import { TestkitError, TestkitErrorCode } from './errors.js'
import { LineLog, type LineStream, type LogLine } from './line-log.js'
import { registerStoppable } from './process-registry.js'
import {
  waitForLineIn,
  type LineMatcher,
  type LineSource,
  type WaitForLineOptions,
} from './wait-for-line.js'

/** Options of {@link spawnProcess}. */
export interface SpawnOptions {
  /** Variables added to (or, when `undefined`, removed from) the inherited environment. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Start from an empty environment instead of this process's. Default false. */
  readonly cleanEnv?: boolean
  readonly cwd?: string
  /** Shown in error messages and echoed output. Default: the command's base name. */
  readonly name?: string
  /** 'pipe' exposes {@link ProcessHandle.stdin}. Default 'ignore'. */
  readonly stdin?: 'ignore' | 'pipe'
  /** Output lines kept (stdout and stderr together). Default 5,000. */
  readonly maxLines?: number
  /** Longer output lines are cut. Default 16,384 characters. */
  readonly maxLineChars?: number
  /** Copy every output line to this process's stderr. Default: `KEYWAY_TEST_ECHO=1`. */
  readonly echo?: boolean
}

/** How a process ended: an exit code, or the signal that ended it. */
export interface ExitInfo {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

const defaultStopTimeoutMs = 5_000
const closeGraceMs = 250

/**
 * A child process started by {@link spawnProcess}: its captured output, waits on that output,
 * and a stop that escalates to SIGKILL. The child leads its own process group, so stopping it
 * also ends whatever it started (a wrapper script's children, sshd's session processes).
 */
export class ProcessHandle {
  readonly name: string
  readonly child: ChildProcess
  readonly log: LineLog
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>
  #exitInfo: ExitInfo | undefined
  #spawnError: Error | undefined
  readonly #closed: Promise<void>
  readonly #unregister: () => void

  constructor(command: string, args: readonly string[], options: SpawnOptions = {}) {
    this.name = options.name ?? command.split('/').pop() ?? command
    this.log = new LineLog({
      maxLines: options.maxLines ?? 5_000,
      maxLineChars: options.maxLineChars ?? 16_384,
    })
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: buildEnv(options),
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      detached: true,
    })
    if (this.child.stdout) this.log.follow('stdout', this.child.stdout)
    if (this.child.stderr) this.log.follow('stderr', this.child.stderr)
    if (options.echo ?? process.env['KEYWAY_TEST_ECHO'] === '1') {
      this.log.onLine((line) => process.stderr.write(`[${this.name}] ${line.text}\n`))
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#exitInfo = { code, signal }
        resolve(this.#exitInfo)
      })
      this.child.once('error', (err) => {
        if (this.child.pid !== undefined) return
        this.#spawnError = err
        this.#exitInfo = { code: null, signal: null }
        resolve(this.#exitInfo)
      })
    })
    this.#closed = new Promise((resolve) => this.child.once('close', () => resolve()))
    this.#unregister = registerStoppable({
      name: this.name,
      stop: () => this.stop(),
      killNow: () => this.#signalGroup('SIGKILL'),
    })
    void this.exited.then(() => {
      if (this.#spawnError) this.#unregister()
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** The exit code and signal once exited, else undefined. */
  get exitInfo(): ExitInfo | undefined {
    return this.#exitInfo
  }

  get running(): boolean {
    return this.#exitInfo === undefined
  }

  /** The child's stdin when spawned with `stdin: 'pipe'`. */
  get stdin(): Writable | null {
    return this.child.stdin
  }

  /** The kept output lines, oldest first, optionally of one stream only. */
  lines(stream?: LineStream): LogLine[] {
    return this.log.lines.filter((line) => stream === undefined || line.stream === stream)
  }

  /** The kept output as text, optionally of one stream only. */
  output(stream?: LineStream): string {
    return this.lines(stream)
      .map((line) => line.text)
      .join('\n')
  }

  /**
   * Resolves with the first line (kept or new, from `since` on) that matches; rejects with the
   * output tail when the process exits first or `timeoutMs` (default 15 s) passes.
   */
  waitForLine(match: LineMatcher, options: WaitForLineOptions = {}): Promise<string> {
    return waitForLineIn(this.#lineSource(), match, options).then((line) => line.text)
  }

  /**
   * Like {@link waitForLine} for JSON log lines (pino): resolves with the first parsed object
   * for which `predicate` is true. Lines that are not JSON objects are passed over.
   */
  async waitForJsonLine<T = Record<string, unknown>>(
    predicate: (entry: Record<string, unknown>) => boolean,
    options: WaitForLineOptions = {},
  ): Promise<T> {
    let found: Record<string, unknown> | undefined
    await waitForLineIn(
      this.#lineSource(),
      (text) => {
        const entry = parseJsonObject(text)
        if (entry === undefined || !predicate(entry)) return false
        found = entry
        return true
      },
      { description: 'a JSON line accepted by the predicate', ...options },
    )
    return found as T
  }

  /** Waits for the exit; rejects with the output tail after `timeoutMs` (default 15 s). */
  async waitForExit(timeoutMs = 15_000): Promise<ExitInfo> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const message = `'${this.name}' did not exit within ${timeoutMs} ms; last lines:\n`
        reject(new TestkitError(TestkitErrorCode.timeout, message + this.log.tail()))
      }, timeoutMs)
    })
    try {
      return await Promise.race([this.exited, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Sends a signal to the process only (not its group); false if it had exited. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (!this.running) return false
    return this.child.kill(signal)
  }

  /**
   * Sends `signal` to the process group, waits up to `timeoutMs` for the exit, then sends
   * SIGKILL; finally kills any process left in the group. Resolves with how it ended.
   */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = defaultStopTimeoutMs,
  ): Promise<ExitInfo> {
    this.#unregister()
    if (this.running) {
      this.#signalGroup(signal)
      let timer: NodeJS.Timeout | undefined
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), timeoutMs)
      })
      const outcome = await Promise.race([this.exited, expired])
      clearTimeout(timer)
      if (outcome === 'expired') this.#signalGroup('SIGKILL')
    }
    const info = await this.exited
    this.#signalGroup('SIGKILL')
    return info
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid
    if (pid === undefined) return
    try {
      process.kill(-pid, signal)
    } catch {
      // ESRCH: the group is already empty.
    }
  }

  #lineSource(): LineSource {
    return {
      name: this.name,
      log: this.log,
      exited: this.exited.then(async (info) => {
        // Output written just before the exit may still be in the pipes.
        await Promise.race([this.#closed, delay(closeGraceMs)])
        return this.#spawnError ? { ...info, error: this.#spawnError } : info
      }),
    }
  }
}

/**
 * Starts a real executable with captured output and registers it for {@link stopAll}. Pass
 * the executable itself (not `npx` or a shell) so that stopping it stops the real thing.
 */
export function spawnProcess(
  command: string,
  args: readonly string[] = [],
  options: SpawnOptions = {},
): ProcessHandle {
  return new ProcessHandle(command, args, options)
}

function buildEnv(options: SpawnOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = options.cleanEnv ? {} : { ...process.env }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
