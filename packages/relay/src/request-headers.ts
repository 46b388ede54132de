import type { HeaderList } from '@keyway/protocol'
import { isAccessHeader } from './gate.js'

/** Headers of one hop of HTTP/1.1, never forwarded (RFC 9110 section 7.6.1). */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
])

const forwardedNames = new Set(['x-forwarded-proto', 'x-forwarded-host'])

/** Turns Node's flat `rawHeaders` (`[name, value, name, value]`) into pairs. */
export function pairsFromRaw(raw: readonly string[]): HeaderList {
  const pairs: HeaderList = []
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string])
  return pairs
}

/** Flattens pairs into the raw array form `res.writeHead` accepts, keeping case and order. */
export function flattenPairs(pairs: HeaderList): string[] {
  const flat: string[] = []
  for (const [name, value] of pairs) flat.push(name, value)
  return flat
}

/** The first value of header `name` (any case). */
export function headerValue(pairs: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase()
  return pairs.find(([key]) => key.toLowerCase() === lower)?.[1]
}

/**
 * Drops hop-by-hop headers and every header the `Connection` header names; the rest stay
 * exactly as they were: names as sent, repeated lines, order.
 */
export function withoutHopByHop(pairs: HeaderList): HeaderList {
  const named = new Set<string>()
  for (const [name, value] of pairs) {
    if (name.toLowerCase() !== 'connection') continue
    for (const token of value.split(',')) named.add(token.trim().toLowerCase())
  }
  return pairs.filter(([name]) => {
    const lower = name.toLowerCase()
    return !hopByHop.has(lower) && !named.has(lower)
  })
}

/** Facts about the public hop for the `X-Forwarded-*` headers. */
export interface ForwardFacts {
  readonly clientIp: string
  readonly proto: 'http' | 'https'
  /** The Host header as the client sent it. */
  readonly host: string
  /** Added after the client's headers (the gate's identity headers). */
  readonly addHeaders?: HeaderList | undefined
  /** Client-sent header names (any case) the gate wants dropped. */
  readonly removeHeaders?: readonly string[] | undefined
  /** Keep `Connection: Upgrade` and `Upgrade` (WebSocket handshakes). */
  readonly upgrade?: boolean
}

/**
 * The header list forwarded down the tunnel: the client's lines without hop-by-hop headers,
 * without access headers only the gate may set and without those the gate removes; then
 * `X-Forwarded-For` (the client's address appended to any earlier list),
 * `X-Forwarded-Proto`, `X-Forwarded-Host`, and the gate's headers.
 */
export function forwardedHeaders(raw: readonly string[], facts: ForwardFacts): HeaderList {
  const pairs = pairsFromRaw(raw)
  const upgradeValue = facts.upgrade === true ? headerValue(pairs, 'upgrade') : undefined
  const priorFor: string[] = []
  const priorForwarded: string[] = []
  const removed = new Set((facts.removeHeaders ?? []).map((name) => name.toLowerCase()))
  const kept = withoutHopByHop(pairs).filter(([name, value]) => {
    const lower = name.toLowerCase()
    if (removed.has(lower)) return false
    if (lower === 'x-forwarded-for') {
      priorFor.push(value)
      return false
    }
    if (lower === 'forwarded') {
      priorForwarded.push(value)
      return false
    }
    return !forwardedNames.has(lower) && !isAccessHeader(name)
  })
  const forwarded: HeaderList = [
    ...kept,
    ['X-Forwarded-For', [...priorFor, facts.clientIp].join(', ')],
    ['X-Forwarded-Proto', facts.proto],
    ['X-Forwarded-Host', facts.host],
  ]
  // A client-sent Forwarded list gets this hop's element last, as X-Forwarded-For does, so
  // that an origin reading it from the right sees the address the relay saw.
  if (priorForwarded.length > 0) {
    forwarded.push(['Forwarded', [...priorForwarded, forwardedElement(facts)].join(', ')])
  }
  if (upgradeValue !== undefined) {
    forwarded.push(['Connection', 'Upgrade'], ['Upgrade', upgradeValue])
  }
  return [...forwarded, ...(facts.addHeaders ?? [])]
}

/**
 * Whether a request has a body, from its framing alone: a chunked transfer coding or a
 * `Content-Length` above zero. Chunked bodies may carry trailers.
 */
export function requestFraming(headers: {
  'content-length'?: string | undefined
  'transfer-encoding'?: string | undefined
}): { hasBody: boolean; chunked: boolean } {
  const chunked = /\bchunked\b/i.test(headers['transfer-encoding'] ?? '')
  const length = Number(headers['content-length'] ?? 0)
  return { hasBody: chunked || (Number.isFinite(length) && length > 0), chunked }
}

/** This hop's element of a `Forwarded` header (RFC 7239), with values quoted where needed. */
function forwardedElement(facts: ForwardFacts): string {
  const node = facts.clientIp.includes(':') ? `"[${facts.clientIp}]"` : facts.clientIp
  const host = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(facts.host)
    ? facts.host
    : `"${facts.host.replace(/["\\]/g, '')}"`
  return `for=${node};proto=${facts.proto};host=${host}`
}
