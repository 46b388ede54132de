import type { HeaderList } from '@keyway/protocol'

/** Headers that describe one hop of HTTP/1.1 and must not be forwarded (RFC 9110 7.6.1). */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
])

/** Turns Node's flat `rawHeaders` (`[name, value, name, value]`) into pairs. */
export function pairsFromRaw(raw: readonly string[]): HeaderList {
  const pairs: HeaderList = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    pairs.push([raw[i] as string, raw[i + 1] as string])
  }
  return pairs
}

/** Turns pairs into the flat form Node's `http.request` accepts, keeping case and order. */
export function flattenPairs(pairs: HeaderList): string[] {
  const flat: string[] = []
  for (const [name, value] of pairs) flat.push(name, value)
  return flat
}

/** True when some header called `name` (any case) is present. */
export function hasHeader(pairs: HeaderList, name: string): boolean {
  const lower = name.toLowerCase()
  return pairs.some(([key]) => key.toLowerCase() === lower)
}

/** The first value of header `name` (any case). */
export function headerValue(pairs: HeaderList, name: string): string | undefined {
  const lower = name.toLowerCase()
  return pairs.find(([key]) => key.toLowerCase() === lower)?.[1]
}

/**
 * Drops hop-by-hop headers and every header the `Connection` header names, keeping the
 * others exactly as they were: names as sent, repeated lines, order.
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

/** Replaces the value of every `Host` header, or adds one when there is none. */
export function withHost(pairs: HeaderList, host: string): HeaderList {
  if (!hasHeader(pairs, 'host')) return [['Host', host], ...pairs]
  return pairs.map(([name, value]) => [name, name.toLowerCase() === 'host' ? host : value])
}
