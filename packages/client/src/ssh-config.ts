import { resolveAppTarget } from './app-url.js'

/** Options of {@link renderSshConfig}. */
export interface SshConfigOptions {
  /** The app, as `--hostname` takes it. */
  readonly hostname: string
  /** How the user's shell starts the CLI. Default `keyway`. */
  readonly command?: string
}

/**
 * The `ssh_config` block that makes `ssh HOST` go through the app's tunnel. For a bare
 * hostname the proxy gets `%h`, so one block can serve a wildcard; for a URL (another port
 * or plain HTTP) the URL's origin is passed.
 */
export function renderSshConfig(options: SshConfigOptions): string {
  const app = resolveAppTarget(options.hostname)
  const command = options.command ?? 'keyway'
  const bare = !options.hostname.includes('://') && app.secure && app.port === 443
  // The origin only: the client ignores a path, and a `%` in it would be an ssh token.
  const target = bare ? '%h' : shellQuote(app.url.origin)
  return [
    `Host ${app.hostname}`,
    `  ProxyCommand ${command} access ssh --hostname ${target}`,
    '',
  ].join('\n')
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}
