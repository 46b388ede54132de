/**
 * What an ingress rule forwards to. Parsed from the rule's `service` string once, when the
 * config is loaded.
 */
export type IngressService = HttpService | UnixService | StatusService | HelloService | TcpService

/** `http://host[:port]` or `https://host[:port]`. */
export interface HttpService {
  readonly kind: 'http'
  /** The `service` string as written. */
  readonly source: string
  readonly protocol: 'http:' | 'https:'
  /** Host name or address, without IPv6 brackets. */
  readonly hostname: string
  readonly port: number
}

/** `unix:/path/to.sock`: HTTP over a Unix domain socket. */
export interface UnixService {
  readonly kind: 'unix'
  readonly source: string
  readonly socketPath: string
}

/** `http_status:NNN`: answers every request with that status and an empty body. */
export interface StatusService {
  readonly kind: 'status'
  readonly source: string
  readonly status: number
}

/** `hello_world`: a built-in page that shows the request it received. */
export interface HelloService {
  readonly kind: 'hello'
  readonly source: string
}

/** `ssh://host[:22]`, `rdp://host[:3389]`, `tcp://host:port`: raw TCP. */
export interface TcpService {
  readonly kind: 'tcp'
  readonly source: string
  readonly scheme: 'ssh' | 'rdp' | 'tcp'
  readonly hostname: string
  readonly port: number
}

/** The forms a `service` may take, for error messages. */
export const SERVICE_FORMS =
  'http://HOST[:PORT], https://HOST[:PORT], unix:/PATH, http_status:NNN, hello_world, ' +
  'ssh://HOST[:22], rdp://HOST[:3389] or tcp://HOST:PORT'

const defaultPorts: Record<string, number | undefined> = {
  'http:': 80,
  'https:': 443,
  'ssh:': 22,
  'rdp:': 3389,
}

/** The result of {@link parseService}: a service, or what is wrong with the string. */
export type ParsedService = { service: IngressService } | { problem: string }

/** Parses an ingress `service` string. Never throws. */
export function parseService(source: string): ParsedService {
  const text = source.trim()
  if (text === 'hello_world') return { service: { kind: 'hello', source: text } }
  if (text.startsWith('http_status:')) return parseStatus(text)
  if (text.startsWith('unix:')) return parseUnix(text)

  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { problem: `"${source}" is not a service; expected ${SERVICE_FORMS}` }
  }
  switch (url.protocol) {
    case 'http:':
    case 'https:':
    case 'ssh:':
    case 'rdp:':
    case 'tcp:':
      return parseNetworkUrl(text, url)
    default:
      return {
        problem: `unsupported scheme "${url.protocol}" in "${source}"; expected ${SERVICE_FORMS}`,
      }
  }
}

function parseStatus(text: string): ParsedService {
  const digits = text.slice('http_status:'.length)
  const status = Number(digits)
  if (!/^\d{3}$/.test(digits) || status < 200 || status > 599) {
    return { problem: `"${text}" needs a status from 200 to 599, for example http_status:404` }
  }
  return { service: { kind: 'status', source: text, status } }
}

function parseUnix(text: string): ParsedService {
  const socketPath = text.slice('unix:'.length)
  if (!socketPath.startsWith('/')) {
    return { problem: `"${text}" needs an absolute socket path, for example unix:/run/app.sock` }
  }
  return { service: { kind: 'unix', source: text, socketPath } }
}

function parseNetworkUrl(text: string, url: URL): ParsedService {
  const scheme = url.protocol
  if (url.username !== '' || url.password !== '') {
    return { problem: `"${text}" must not carry a user name or password` }
  }
  if (url.hostname === '') return { problem: `"${text}" has no host` }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return { problem: `"${text}" must not have a path, query or fragment; remove it` }
  }
  const port = url.port === '' ? defaultPorts[scheme] : Number(url.port)
  if (port === undefined) {
    return { problem: `"${text}" needs a port, for example tcp://localhost:5432` }
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (scheme === 'http:' || scheme === 'https:') {
    return { service: { kind: 'http', source: text, protocol: scheme, hostname, port } }
  }
  const tcpScheme = scheme.slice(0, -1) as TcpService['scheme']
  return { service: { kind: 'tcp', source: text, scheme: tcpScheme, hostname, port } }
}
