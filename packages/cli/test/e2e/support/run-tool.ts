import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'

/** How a tool run ended and what it printed. */
export interface ToolRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Options of {@link runTool}. */
export interface RunToolOptions {
  /** Added to this process's environment (undefined removes a variable). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Standard input read from this file; none (`/dev/null`) when omitted. */
  readonly stdinFile?: string
  /** Killed with SIGKILL after this long. Default 60,000 ms. */
  readonly timeoutMs?: number
}

/**
 * Runs a real client tool (`ssh`, `scp`, `keyway` ...) to its end, with standard input
 * from a file or nothing, and collects its output.
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunToolOptions = {},
): Promise<ToolRun> {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  const stdin = options.stdinFile === undefined ? 'ignore' : openSync(options.stdinFile, 'r')
  const child = spawn(command, args, { stdio: [stdin, 'pipe', 'pipe'], env })
  if (typeof stdin === 'number') closeSync(stdin)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}
