import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { RelayError, RelayErrorCode } from './errors.js'

/** The first part of every tunnel token: `keyway1.<tunnel>.<secret>`. */
export const TOKEN_PREFIX = 'keyway1'

/** The file under `dataDir` that holds the tunnel secrets (mode 0600). */
export const TOKEN_FILE = 'tunnel-secrets.json'

const tunnelNamePattern = /^[A-Za-z0-9_-]{1,128}$/
const secretPattern = /^[A-Za-z0-9_-]{43}$/
const maxTokenFileBytes = 4 * 1024 * 1024

interface StoredSecret {
  secret: string
  createdAt: string
}

interface TokenFile {
  version: 1
  tunnels: Record<string, StoredSecret>
}

/** Options for {@link TunnelTokens.open}. */
export interface TunnelTokensOptions {
  /**
   * Tunnel names of the current config. When given, tokens of other tunnels are refused
   * and `tokenFor`/`rotate` of other names throw `ERR_UNKNOWN_TUNNEL`.
   */
  readonly tunnels?: readonly string[]
}

/**
 * Tunnel credentials stored under the relay's `dataDir`. A token is
 * `keyway1.<tunnel>.<secret>` with a random 32-byte secret (base64url). The file is read
 * again on every call, so a `rotate` from another process takes effect at the next dial.
 */
export class TunnelTokens {
  private readonly file: string
  private readonly tunnels: ReadonlySet<string> | undefined

  private constructor(file: string, tunnels: ReadonlySet<string> | undefined) {
    this.file = file
    this.tunnels = tunnels
  }

  /** Opens the store in `dataDir`, creating the folder (mode 0700) when it is missing. */
  static open(dataDir: string, options: TunnelTokensOptions = {}): TunnelTokens {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    const tunnels = options.tunnels === undefined ? undefined : new Set(options.tunnels)
    return new TunnelTokens(path.join(dataDir, TOKEN_FILE), tunnels)
  }

  /** The token of `tunnel`; creates its secret on first use, the same token after. */
  tokenFor(tunnel: string): string {
    this.checkName(tunnel)
    const stored = this.read().tunnels[tunnel]
    if (stored !== undefined) return formatToken(tunnel, stored.secret)
    return this.writeSecret(tunnel)
  }

  /** Gives `tunnel` a new secret and returns its token; older tokens are refused from now. */
  rotate(tunnel: string): string {
    this.checkName(tunnel)
    return this.writeSecret(tunnel)
  }

  /**
   * The tunnel a token belongs to when it is valid now, else undefined. The secret is
   * compared in constant time; malformed tokens are refused without throwing.
   */
  verify(token: string): string | undefined {
    if (typeof token !== 'string' || token.length > 512) return undefined
    const parts = token.trim().split('.')
    if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX) return undefined
    const [, tunnel = '', secret = ''] = parts
    if (!tunnelNamePattern.test(tunnel)) return undefined
    if (this.tunnels !== undefined && !this.tunnels.has(tunnel)) return undefined
    let stored: StoredSecret | undefined
    try {
      stored = this.read().tunnels[tunnel]
    } catch {
      return undefined
    }
    if (stored === undefined) return undefined
    return sameSecret(secret, stored.secret) ? tunnel : undefined
  }

  private checkName(tunnel: string): void {
    if (typeof tunnel !== 'string' || !tunnelNamePattern.test(tunnel)) {
      throw new TypeError('"tunnel" must be 1-128 letters, digits, "_" or "-"')
    }
    if (this.tunnels !== undefined && !this.tunnels.has(tunnel)) {
      const known = [...this.tunnels].join(', ') || 'none'
      throw new RelayError(RelayErrorCode.unknownTunnel,
        `tunnel "${tunnel}" is not in the relay config (tunnels: ${known}); add it first`)
    }
  }

  private read(): TokenFile {
    let text: string
    try {
      const stat = fs.statSync(this.file)
      if (stat.size > maxTokenFileBytes) throw new Error(`larger than ${maxTokenFileBytes} bytes`)
      text = fs.readFileSync(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, tunnels: {} }
      throw storeError(this.file, err)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      throw storeError(this.file, err)
    }
    const tunnels = (parsed as Partial<TokenFile> | null)?.tunnels
    if (typeof tunnels !== 'object' || tunnels === null) {
      throw storeError(this.file, new Error('no "tunnels" mapping'))
    }
    return { version: 1, tunnels }
  }

  private writeSecret(tunnel: string): string {
    const store = this.read()
    const secret = randomBytes(32).toString('base64url')
    store.tunnels[tunnel] = { secret, createdAt: new Date().toISOString() }
    // Written whole to a temporary file and renamed, so a reader never sees half a file.
    const temporary = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      fs.writeFileSync(temporary, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 })
      fs.renameSync(temporary, this.file)
    } catch (err) {
      fs.rmSync(temporary, { force: true })
      throw storeError(this.file, err)
    }
    return formatToken(tunnel, secret)
  }
}

function formatToken(tunnel: string, secret: string): string {
  return `${TOKEN_PREFIX}.${tunnel}.${secret}`
}

/** Compares two secrets in time independent of where they differ (and of their length). */
function sameSecret(given: string, stored: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(stored).digest()
  return timingSafeEqual(a, b) && secretPattern.test(given)
}

function storeError(file: string, cause: unknown): RelayError {
  const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message
  return new RelayError(RelayErrorCode.tokenStore,
    `the tunnel token file ${file} cannot be used (${reason}); fix or remove it`, { cause })
}
