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
 * user may be on another machine), then starts the browser: the command in `$BROWSER`
 * when set (its words, then the URL, or the URL in place of `%s`), else `xdg-open`
 * (Linux, with a display) or `open` (macOS) when one is on `PATH`. Standard output stays
 * untouched, as an SSH `ProxyCommand` needs.
 */
export function systemBrowser(options: SystemBrowserOptions = {}): OpenBrowser {
  const stderr = options.stderr ?? process.stderr
  const env = options.env ?? process.env
  return (url: string) => {
    stderr.write(`keyway: to log in, open this URL in a browser:\n  ${url}\n`)
    const command = browserCommand(env, url)
    if (command === undefined) return
    try {
      const [file, ...args] = command
      const child = spawn(file as string, args, { stdio: 'ignore', detached: true, env })
      child.on('error', () => {})
      child.unref()
    } catch {
      // The URL is printed; a browser that cannot start is not an error.
    }
  }
}

function browserCommand(env: NodeJS.ProcessEnv, url: string): string[] | undefined {
  // As in xdg-utils: a colon-separated list; the first entry is used.
  const chosen = (env['BROWSER'] ?? '').split(':')[0]?.trim() ?? ''
  if (chosen !== '') {
    const words = chosen.split(/\s+/)
    const args = words.slice(1)
    const placed = args.some((word) => word.includes('%s'))
    const withUrl = placed ? args.map((word) => word.replaceAll('%s', url)) : [...args, url]
    return [words[0] as string, ...withUrl]
  }
  const opener = findOpener(env)
  return opener === undefined ? undefined : [opener, url]
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
