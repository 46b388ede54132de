import type { IncomingMessage } from 'node:http'

import type { GateRequest } from '../../src/index.js'

/** Options of {@link fakeRequest}. */
export interface FakeRequestOptions {
  readonly method?: string
  readonly headers?: ReadonlyArray<readonly [string, string]>
  readonly kind?: 'http' | 'upgrade'
  readonly tunnel?: string | undefined
  readonly clientIp?: string
  readonly proto?: 'http' | 'https'
}

let counter = 0

/**
 * A GateRequest for unit tests: an object with the parts of IncomingMessage the gate reads
 * (`method`, `headers` in Node's lower-case form, `rawHeaders` as sent).
 */
export function fakeRequest(hostAndPath: string, options: FakeRequestOptions = {}): GateRequest {
  const slash = hostAndPath.indexOf('/')
  const host = slash === -1 ? hostAndPath : hostAndPath.slice(0, slash)
  const path = slash === -1 ? '/' : hostAndPath.slice(slash)
  const lines: Array<readonly [string, string]> = [['Host', host], ...(options.headers ?? [])]
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of lines) {
    const lower = name.toLowerCase()
    const existing = headers[lower]
    if (lower === 'set-cookie') headers[lower] = [...((existing as string[]) ?? []), value]
    else headers[lower] = existing === undefined ? value
      : `${existing as string}${lower === 'cookie' ? '; ' : ', '}${value}`
  }
  const req = { method: options.method ?? 'GET', url: path, headers,
    rawHeaders: lines.flat() } as unknown as IncomingMessage
  return {
    req, res: undefined, host: host.replace(/:\d+$/, ''), path,
    tunnel: 'tunnel' in options ? options.tunnel : 'apps',
    kind: options.kind ?? 'http', clientIp: options.clientIp ?? '198.51.100.7',
    proto: options.proto ?? 'https', reqId: `req-${++counter}`,
  }
}
