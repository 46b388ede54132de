import { resolveAppTarget, type AppTarget } from './app-url.js'
import { systemBrowser, type OpenBrowser } from './browser.js'
import { withLoginLock, type LoginLockOptions } from './login-lock.js'
import { startLoopbackCallback } from './loopback-callback.js'
import { TokenCache, type TokenCacheOptions } from './token-cache.js'

/**
 * Path, on every app host, of the relay's login for the access client. The relay runs the
 * usual browser login for the app, then redirects the browser to
 * `http://127.0.0.1:PORT/callback?token=APP_TOKEN&nonce=NONCE` (see docs/ssh-rdp.md).
 */
export const CLI_LOGIN_PATH = '/.keyway/cli'

/** Options of {@link login}. */
export interface LoginOptions extends TokenCacheOptions, LoginLockOptions {
  /** Opens the login page; {@link systemBrowser} when omitted. */
  readonly openBrowser?: OpenBrowser
  /** Where the default browser opener prints the URL; standard error when omitted. */
  readonly stderr?: NodeJS.WritableStream
  /** How long the browser login may take. Default 5 minutes. */
  readonly loginTimeoutMs?: number
  /** Log in even when a valid token is cached (`keyway access login`). Default false. */
  readonly force?: boolean
}

/** The relay URL that starts a login whose answer goes to the loopback listener. */
export function cliLoginUrl(app: AppTarget, port: number, nonce: string): string {
  const url = new URL(CLI_LOGIN_PATH, app.url.origin)
  url.searchParams.set('port', String(port))
  url.searchParams.set('nonce', nonce)
  return url.href
}

/**
 * Logs in to the app at `url` (hostname or URL) in the browser and stores its app token
 * in the cache; resolves with the token. Concurrent calls for one app, in this process or
 * others, share one login through a lock file. Without `force`, a valid cached token is
 * returned without a login.
 */
export async function login(url: string, options: LoginOptions = {}): Promise<string> {
  const app = resolveAppTarget(url)
  const cache = new TokenCache(options)
  if (options.force !== true) {
    const cached = cache.read(app)
    if (cached !== undefined) return cached.token
  }

  return withLoginLock(
    cache,
    app,
    options,
    () => cache.read(app)?.token,
    () => browserLogin(app, cache, options),
  )
}

async function browserLogin(
  app: AppTarget,
  cache: TokenCache,
  options: LoginOptions,
): Promise<string> {
  const open =
    options.openBrowser ?? systemBrowser(options.stderr ? { stderr: options.stderr } : {})
  const callback = await startLoopbackCallback({
    appName: app.display,
    ...(options.loginTimeoutMs === undefined ? {} : { timeoutMs: options.loginTimeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  })
  try {
    await open(cliLoginUrl(app, callback.port, callback.nonce))
    const token = await callback.token
    cache.write(app, token)
    return token
  } finally {
    callback.close()
  }
}
