import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { resolveAppTarget, type AppTarget } from './app-url.js'
import { ClientError, ClientErrorCode } from './errors.js'

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  /** The cache folder; `~/.keyway` when omitted. The CLI passes `$KEYWAY_HOME` here. */
  readonly home?: string
  /** Clock in epoch milliseconds; `Date.now` when omitted. */
  readonly now?: () => number
  /** A token that expires within this time counts as expired already. Default 30,000. */
  readonly expirySkewMs?: number
}

/** A token read back from the cache. */
export interface CachedToken {
  readonly token: string
  /** The token's `exp`, in epoch milliseconds. */
  readonly expiresAtMs: number
}

const DIR_MODE = 0o700
const FILE_MODE = 0o600
const MAX_TOKEN_FILE_BYTES = 64 * 1024

/**
 * App tokens on disk, one file per app (host and port), readable by the user only: the
 * folder is 0700 and every file 0600, whatever the umask. Tokens are not verified here
 * (the relay verifies them); only their `exp` is read, to skip expired ones.
 */
export class TokenCache {
  readonly home: string
  private readonly now: () => number
  private readonly expirySkewMs: number

  constructor(options: TokenCacheOptions = {}) {
    if (options.home !== undefined && options.home.trim() === '') {
      throw new TypeError("'home' must be a folder path when given")
    }
    this.home = options.home ?? join(homedir(), '.keyway')
    this.now = options.now ?? Date.now
    this.expirySkewMs = options.expirySkewMs ?? 30_000
  }

  /** The cached token of `app` when it is still valid, else undefined. */
  read(app: AppTarget | string): CachedToken | undefined {
    const path = this.tokenPath(app)
    let text: string
    try {
      if (statSync(path).size > MAX_TOKEN_FILE_BYTES) return undefined
      text = readFileSync(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw cacheError(`cannot read "${path}"`, err)
    }
    const token = parseTokenFile(text)
    if (token === undefined) return undefined
    const expiresAtMs = decodeTokenExpiry(token)
    if (expiresAtMs === undefined || expiresAtMs - this.expirySkewMs <= this.now()) return undefined
    return { token, expiresAtMs }
  }

  /** Stores `token` for `app`, replacing any older one atomically. */
  write(app: AppTarget | string, token: string): void {
    const target = toTarget(app)
    const path = this.tokenPath(target)
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
    const body = JSON.stringify({ url: target.url.href, token }) + '\n'
    try {
      this.ensureFolder(join(this.home, 'tokens'))
      writeFileSync(temporary, body, { mode: FILE_MODE, flag: 'wx' })
      chmodSync(temporary, FILE_MODE)
      renameSync(temporary, path)
    } catch (err) {
      rmSync(temporary, { force: true })
      if (err instanceof ClientError) throw err
      throw cacheError(`cannot write "${path}"`, err)
    }
  }

  /** Forgets the token of `app`. */
  remove(app: AppTarget | string): void {
    rmSync(this.tokenPath(app), { force: true })
  }

  /** Path of the token file of `app`. */
  tokenPath(app: AppTarget | string): string {
    return join(this.home, 'tokens', `${fileStem(toTarget(app))}.json`)
  }

  /** Path of the login lock file of `app`. */
  lockPath(app: AppTarget | string): string {
    return join(this.home, 'locks', `${fileStem(toTarget(app))}.lock`)
  }

  /** Creates `path` (and the cache home) as 0700 folders; narrows wider modes. */
  ensureFolder(path: string): void {
    for (const folder of path === this.home ? [this.home] : [this.home, path]) {
      try {
        mkdirSync(folder, { recursive: true, mode: DIR_MODE })
        const stats = statSync(folder)
        if (!stats.isDirectory()) throw new Error('not a folder')
        if ((stats.mode & 0o777) !== DIR_MODE) chmodSync(folder, DIR_MODE)
      } catch (err) {
        throw cacheError(`cannot use "${folder}" as a private folder`, err)
      }
    }
  }
}

/**
 * The `exp` claim of a JWT in epoch milliseconds, read without verifying the signature;
 * undefined when the token is not a JWT with a numeric `exp`.
 */
export function decodeTokenExpiry(token: string): number | undefined {
  const parts = token.split('.')
  if (parts.length !== 3 || parts[1] === undefined) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    if (typeof claims !== 'object' || claims === null) return undefined
    const exp = (claims as { exp?: unknown }).exp
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}

/** True when `token` has the shape of a compact JWT. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token) && token.length <= 16_384
}

/**
 * The cached, unexpired app token for `url` (a hostname or URL, as `--hostname` takes it),
 * or undefined. Does not log in.
 */
export function readToken(url: string, options: TokenCacheOptions = {}): string | undefined {
  return new TokenCache(options).read(resolveAppTarget(url))?.token
}

/**
 * The cached, unexpired app token for `url`, for `keyway access token`. Throws
 * `ERR_NOT_LOGGED_IN` with the command to run when there is none.
 */
export function requireToken(url: string, options: TokenCacheOptions = {}): string {
  const app = resolveAppTarget(url)
  const cached = new TokenCache(options).read(app)
  if (cached !== undefined) return cached.token
  const message =
    `no valid token for ${app.display} (not logged in, or the session expired); ` +
    `run: keyway access login ${app.url.origin}`
  throw new ClientError(ClientErrorCode.notLoggedIn, message)
}

function parseTokenFile(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text)
    const token = (parsed as { token?: unknown } | null)?.token
    return typeof token === 'string' && looksLikeJwt(token) ? token : undefined
  } catch {
    return undefined
  }
}

function toTarget(app: AppTarget | string): AppTarget {
  return typeof app === 'string' ? resolveAppTarget(app) : app
}

/** A file name for the app: host and port, with anything unusual replaced. */
function fileStem(target: AppTarget): string {
  return target.cacheKey.replace(/[^a-z0-9.-]/g, '_')
}

function cacheError(what: string, cause: unknown): ClientError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  const message = `token cache: ${what} (${reason}); set KEYWAY_HOME to a folder you own`
  return new ClientError(ClientErrorCode.tokenCache, message, { cause })
}
