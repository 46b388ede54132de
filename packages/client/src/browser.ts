import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Opens a URL for the user; must not write to standard output. */
export type OpenBrowser = (url: string) => Promise<void> | void

/** Options of {@link systemBrowser}. */
export interface SystemBrowserOptions {
  /** Where the URL is printed; standard error when omitted. */
  readonly stderr?: NodeJS.WritableStream
  /** Environment read for `PATH` and the display; `process.env` when omitted. */
  readonly env?: NodeJS.ProcessEnv
}

/**
 * The default way to open the login page: always prints the URL on standard error (the
 * user may be on another machine), then starts `xdg-open` (Linux, with a display) or
 * `open` (macOS) when one is on `PATH`. Standard output stays untouched, as an SSH
 * `ProxyCommand` needs.
 */
export function systemBrowser(options: SystemBrowserOptions = {}): OpenBrowser {
  const stderr = options.stderr ?? process.stderr
  const env = options.env ?? process.env
  return (url: string) => {
    stderr.write(`keyway: to log in, open this URL in a browser:\n  ${url}\n`)
    const opener = findOpener(env)
    if (opener === undefined) return
    try {
      const child = spawn(opener, [url], { stdio: 'ignore', detached: true, env })
      child.on('error', () => {})
      child.unref()
    } catch {
      // The URL is printed; a browser that cannot start is not an error.
    }
  }
}

function findOpener(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform === 'darwin') return onPath('open', env)
  // Without a display xdg-open falls back to a text browser that would take the terminal.
  if (env['DISPLAY'] === undefined && env['WAYLAND_DISPLAY'] === undefined) return undefined
  return onPath('xdg-open', env)
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const folder of (env['PATH'] ?? '').split(delimiter)) {
    if (folder === '') continue
    const candidate = join(folder, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not in this folder.
    }
  }
  return undefined
}
