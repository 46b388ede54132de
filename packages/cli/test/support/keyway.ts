import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { spawnProcess, type ProcessHandle } from '@keyway/testkit'

/** The built executable, as `npx keyway` runs it. */
export const keywayBin = fileURLToPath(new URL('../../bin/keyway.js', import.meta.url))

/** How a finished `keyway` run ended and what it printed. */
export interface KeywayResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Options of {@link startKeyway} and {@link runKeyway}. */
export interface KeywayOptions {
  /** Added to the environment; KEYWAY_* variables of the test runner are removed first. */
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly cwd?: string
}

/** Starts `node bin/keyway.js ARGS` as a real process (stopped by testkit's `stopAll`). */
export function startKeyway(args: readonly string[], options: KeywayOptions = {}): ProcessHandle {
  return spawnProcess(process.execPath, [keywayBin, ...args], {
    name: `keyway ${args.slice(0, 2).join(' ')}`,
    cwd: options.cwd,
    env: {
      KEYWAY_TUNNEL_TOKEN: undefined,
      KEYWAY_LOG_LEVEL: undefined,
      ...options.env,
    },
  })
}

/** Runs `keyway ARGS` to its end (15 s at most) and returns its exit and output. */
export async function runKeyway(
  args: readonly string[],
  options: KeywayOptions = {},
): Promise<KeywayResult> {
  const handle = startKeyway(args, options)
  const exit = await handle.waitForExit()
  await handle.stop()
  return {
    code: exit.code,
    signal: exit.signal,
    stdout: handle.output('stdout'),
    stderr: handle.output('stderr'),
  }
}

/** Writes `text` to `name` in `dir` and returns the path. */
export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
