import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { spawnProcess, type ProcessHandle } from '@keyway/testkit'

/** The built `keyway` executable (`npx tsc -b packages/cli` first). */
export const keywayBin = fileURLToPath(new URL('../../../bin/keyway.js', import.meta.url))

/** How a finished `keyway` run ended and what it printed. */
export interface KeywayRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Starts `node bin/keyway.js ARGS` as a real process, registered for testkit's `stopAll`.
 * The node binary is spawned directly, so the handle's pid is the keyway process itself.
 */
export function startKeyway(
  args: readonly string[],
  name: string,
  env: Readonly<Record<string, string | undefined>> = {},
): ProcessHandle {
  return spawnProcess(process.execPath, [keywayBin, ...args], {
    name,
    env: { KEYWAY_TUNNEL_TOKEN: undefined, KEYWAY_LOG_LEVEL: undefined, ...env },
  })
}

/** Runs `keyway ARGS` to its end (15 s at most). */
export async function runKeyway(args: readonly string[]): Promise<KeywayRun> {
  const handle = startKeyway(args, `keyway ${args.slice(0, 2).join(' ')}`)
  const exit = await handle.waitForExit()
  await handle.stop()
  return { code: exit.code, stdout: handle.output('stdout'), stderr: handle.output('stderr') }
}

/** Every output line of `handle` that is a JSON object (pino lines), oldest first. */
export function jsonLines(handle: ProcessHandle): Array<Record<string, unknown>> {
  const entries: Array<Record<string, unknown>> = []
  for (const line of handle.lines()) {
    if (!line.text.startsWith('{')) continue
    try {
      entries.push(JSON.parse(line.text) as Record<string, unknown>)
    } catch {
      // A line cut by the log's length limit is not JSON; the tests do not need it.
    }
  }
  return entries
}

/** The JSON lines of `handle` whose `msg` is `msg`. */
export function logged(handle: ProcessHandle, msg: string): Array<Record<string, unknown>> {
  return jsonLines(handle).filter((entry) => entry['msg'] === msg)
}

/** Waits for a JSON line with message `msg` (and matching `fields`), from `since` on. */
export function waitForLog(
  handle: ProcessHandle,
  msg: string,
  options: { since?: number; timeoutMs?: number; fields?: Record<string, unknown> } = {},
): Promise<Record<string, unknown>> {
  const fields = options.fields ?? {}
  return handle.waitForJsonLine(
    (entry) =>
      entry['msg'] === msg && Object.entries(fields).every(([key, v]) => entry[key] === v),
    { since: options.since ?? 0, timeoutMs: options.timeoutMs ?? 15_000, description: msg },
  )
}

/** Resident set size of a live process in bytes, from `/proc/PID/status`. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (!match) throw new Error(`no VmRSS line in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

/** Writes `text` to `name` in `dir` and returns the path. */
export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
