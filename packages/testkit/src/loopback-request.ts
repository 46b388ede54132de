import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'

import type { CookieJar } from './cookie-jar.js'
import { TestkitError, TestkitErrorCode } from './errors.js'

/**
 * A `lookup` for `http.request`, `https.request` and `ws` that answers 127.0.0.1 for every
 * name. Node's resolver cannot resolve `*.localhost` here; browsers and curl map it themselves.
 */
export const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if (options.all) {
    ;(callback as unknown as (
      err: null,
      addresses: Array<{ address: string; family: number }>,
    ) => void)(
      null,
      [{ address: '127.0.0.1', family: 4 }],
    )
    return
  }
  callback(null, '127.0.0.1', 4)
}

/** Options of {@link request}. */
export interface RequestOptions {
  /** Default 'GET'. */
  readonly method?: string
  /** Header values, or header lines in order (repeated names stay repeated). */
  readonly headers?:
    | Readonly<Record<string, string | readonly string[]>>
    | ReadonlyArray<readonly [string, string]>
  readonly body?: string | Uint8Array
  /** Resolve every host name to 127.0.0.1 (see {@link loopbackLookup}). Default true. */
  readonly lookup127?: boolean
  /** Cookies sent from, and `Set-Cookie` lines stored into, this jar. */
  readonly jar?: CookieJar
  /** Accept any TLS certificate (self-signed test relays). Default false. */
  readonly insecureTls?: boolean
  /** Whole exchange, response body included. Default 15,000 ms. */
  readonly timeoutMs?: number
  /** Larger bodies fail with `ERR_BODY_TOO_LARGE`. Default 16 MiB. */
  readonly maxBodyBytes?: number
  readonly signal?: AbortSignal
}

/** A buffered response. */
export interface LoopbackResponse {
  readonly url: URL
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** Header lines exactly as received. */
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>
  readonly setCookies: readonly string[]
  /** The `Location` header resolved against the request URL, if any. */
  readonly location: URL | undefined
  readonly body: Buffer
  text(): string
  json<T = unknown>(): T
}

/**
 * One HTTP(S) exchange, buffered, with no redirect following. Host names resolve to
 * 127.0.0.1 while the URL (and so the `Host` header and TLS server name) stays as given.
 */
export function request(
  url: string | URL,
  options: RequestOptions = {},
): Promise<LoopbackResponse> {
  const target = new URL(url)
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024
  const headers = headerLines(options.headers)
  // Headers given as a flat list make Node send no Host of its own; HTTP/1.1 requires one.
  if (!headers.some(([name]) => name.toLowerCase() === 'host')) {
    headers.unshift(['Host', target.host])
  }
  const cookie = options.jar?.cookieHeader(target)
  if (cookie !== undefined && !headers.some(([name]) => name.toLowerCase() === 'cookie')) {
    headers.push(['cookie', cookie])
  }

  return new Promise((resolve, reject) => {
    const req = send(target, {
      method: options.method ?? 'GET',
      headers: headers.flat(),
      lookup: options.lookup127 === false ? undefined : loopbackLookup,
      rejectUnauthorized: !options.insecureTls,
      signal: options.signal,
      timeout: options.timeoutMs ?? 15_000,
    })
    req.on('timeout', () => {
      const message =
        `${req.method} ${target.href} timed out after ${options.timeoutMs ?? 15_000} ms`
      req.destroy(new TestkitError(TestkitErrorCode.timeout, message))
    })
    req.on('error', reject)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBodyBytes) {
          const message = `response body of ${target.href} exceeds ${maxBodyBytes} bytes`
          res.destroy(new TestkitError(TestkitErrorCode.bodyTooLarge, message))
          return
        }
        chunks.push(chunk)
      })
      res.on('error', reject)
      res.on('end', () => {
        const setCookies = res.headers['set-cookie'] ?? []
        options.jar?.setFromResponse(target, setCookies)
        const body = Buffer.concat(chunks)
        const rawHeaders: Array<[string, string]> = []
        for (let index = 0; index + 1 < res.rawHeaders.length; index += 2) {
          rawHeaders.push([res.rawHeaders[index] as string, res.rawHeaders[index + 1] as string])
        }
        const location = res.headers.location
        resolve({
          url: target,
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders,
          setCookies,
          location: location === undefined ? undefined : new URL(location, target),
          body,
          text: () => body.toString('utf8'),
          json: <T>() => JSON.parse(body.toString('utf8')) as T,
        })
      })
    })
    req.end(options.body)
  })
}

function headerLines(headers: RequestOptions['headers']): Array<[string, string]> {
  if (headers === undefined) return []
  if (Array.isArray(headers)) return headers.map(([name, value]) => [name, value])
  const lines: Array<[string, string]> = []
  for (const [name, value] of Object.entries(headers as Record<string, string | string[]>)) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push([name, one])
  }
  return lines
}
