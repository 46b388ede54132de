import type { LookupFunction } from 'node:net'
import { ClientError, ClientErrorCode } from './errors.js'

/** An application as the access client reaches it. */
export interface AppTarget {
  /** The app's URL: `https://HOST` for a bare hostname, or the URL given (no fragment). */
  readonly url: URL
  /** Lower-case host name without port or brackets. */
  readonly hostname: string
  /** The port dialled: explicit, else 443 for https and 80 for http. */
  readonly port: number
  readonly secure: boolean
  /** `ws:` or `wss:` URL of the TCP session upgrade. */
  readonly webSocketUrl: string
  /** Names the app in the token cache: host and effective port. */
  readonly cacheKey: string
  /** How messages name the app: `ssh.example.com` or `ssh.localhost:8080`. */
  readonly display: string
}

const labelPattern = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/
const hostPortPattern = /^([^:/?#[\]@\s]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i

/**
 * Resolves the `--hostname` of the access commands. A bare name (`ssh.example.com`, or
 * `ssh.example.com:8443`) means HTTPS on port 443 (or the port given); a URL
 * (`http://ssh.localhost:8080`) is used as it is. Throws `ERR_BAD_HOSTNAME` otherwise.
 */
export function resolveAppTarget(input: string): AppTarget {
  const text = input.trim()
  if (text === '') throw badHostname(input, 'it is empty')
  const url = text.includes('://') ? parseUrl(input, text) : parseHostPort(input, text)
  url.hash = ''
  if (url.pathname === '') url.pathname = '/'

  const secure = url.protocol === 'https:'
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port)
  const defaultPort = port === (secure ? 443 : 80)
  const hostPart = hostname.includes(':') ? `[${hostname}]` : hostname
  const display = defaultPort ? hostPart : `${hostPart}:${port}`
  const webSocket = new URL(url.href)
  webSocket.protocol = secure ? 'wss:' : 'ws:'

  return Object.freeze({
    url,
    hostname,
    port,
    secure,
    webSocketUrl: webSocket.href,
    cacheKey: `${hostPart}:${port}`,
    display,
  })
}

/**
 * A `lookup` for the names that must reach this machine: `localhost` and `*.localhost`
 * (RFC 6761) resolve to 127.0.0.1, which Node's resolver does not do by itself everywhere.
 * Undefined for every other name, so that the system resolver is used.
 */
export function lookupFor(hostname: string): LookupFunction | undefined {
  const name = hostname.toLowerCase()
  if (name !== 'localhost' && !name.endsWith('.localhost')) return undefined
  return loopbackLookup
}

const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if (options.all) {
    const answer = callback as unknown as (
      err: null,
      addresses: Array<{ address: string; family: number }>,
    ) => void
    answer(null, [{ address: '127.0.0.1', family: 4 }])
    return
  }
  callback(null, '127.0.0.1', 4)
}

function parseUrl(input: string, text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw badHostname(input, 'it is not a valid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw badHostname(input, `the scheme "${url.protocol}" is neither http: nor https:`)
  }
  if (url.username !== '' || url.password !== '') {
    throw badHostname(input, 'it must not carry a user name or password')
  }
  checkHostname(input, url.hostname)
  return url
}

function parseHostPort(input: string, text: string): URL {
  const match = hostPortPattern.exec(text)
  if (match === null) throw badHostname(input, 'expected a hostname or an http(s) URL')
  const port = match[2]
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw badHostname(input, `port ${port} is not between 1 and 65535`)
  }
  let url: URL
  try {
    url = new URL(`https://${text}/`)
  } catch {
    throw badHostname(input, 'expected a hostname or an http(s) URL')
  }
  checkHostname(input, url.hostname)
  return url
}

function checkHostname(input: string, hostname: string): void {
  if (hostname.startsWith('[')) return
  const name = hostname.replace(/\.$/, '')
  if (name === '') throw badHostname(input, 'it has no host')
  if (!name.split('.').every((label) => labelPattern.test(label))) {
    throw badHostname(input, `"${hostname}" is not a valid host name`)
  }
}

function badHostname(input: string, why: string): ClientError {
  const message =
    `invalid hostname "${input}": ${why}; ` +
    'give the app hostname (ssh.example.com) or a URL (http://ssh.localhost:8080)'
  return new ClientError(ClientErrorCode.badHostname, message)
}
