import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ClientError, ClientErrorCode } from './errors.js'
import { looksLikeJwt } from './token-cache.js'

/** Path on the loopback listener that the relay's login redirects the browser to. */
export const CALLBACK_PATH = '/callback'

/** A one-time HTTP listener on 127.0.0.1 that receives the app token from the browser. */
export interface LoopbackCallback {
  readonly port: number
  /** The one-time value the relay must send back; random, 32 bytes base64url. */
  readonly nonce: string
  /** Resolves with the token once; rejects on timeout, abort or a login error. */
  readonly token: Promise<string>
  close(): void
}

/** Options of {@link startLoopbackCallback}. */
export interface LoopbackCallbackOptions {
  /** Names the app in the page the browser shows. */
  readonly appName: string
  /** Default 5 minutes. */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

/**
 * Listens on a random port of 127.0.0.1 for one `GET /callback?token=...&nonce=...`. A
 * request whose nonce does not match is refused and the listener keeps waiting, so a page
 * that guesses the port cannot plant a token. `?error=...&nonce=...` ends the login with
 * that error. The listener closes after the first valid answer.
 */
export async function startLoopbackCallback(
  options: LoopbackCallbackOptions,
): Promise<LoopbackCallback> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000
  const nonce = randomBytes(32).toString('base64url')
  let settle: { resolve(token: string): void; reject(err: Error): void } | undefined
  const token = new Promise<string>((resolve, reject) => {
    settle = { resolve, reject }
  })
  token.catch(() => {})

  const server = createServer((req, res) => {
    const outcome = answer(req, res, nonce, options.appName)
    if (outcome === undefined) return
    finish()
    if (outcome instanceof Error) settle?.reject(outcome)
    else settle?.resolve(outcome)
  })
  server.requestTimeout = 10_000
  server.headersTimeout = 10_000
  server.maxHeadersCount = 100

  const timer = setTimeout(() => {
    finish()
    const message =
      `the login for ${options.appName} did not complete within ${timeoutMs} ms; ` +
      'run the command again and finish the login in the browser'
    settle?.reject(new ClientError(ClientErrorCode.loginTimeout, message))
  }, timeoutMs)
  const onAbort = () => {
    finish()
    settle?.reject(options.signal?.reason ?? new Error('aborted'))
  }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const finish = () => {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
    server.close()
    server.closeIdleConnections()
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return { port, nonce, token, close: finish }
}

/** Answers one request; returns the token, an error that ends the login, or undefined. */
function answer(
  req: IncomingMessage,
  res: ServerResponse,
  nonce: string,
  appName: string,
): string | Error | undefined {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
    page(res, 404, 'Not found.')
    return undefined
  }
  if (!sameSecret(url.searchParams.get('nonce') ?? '', nonce)) {
    page(res, 400, 'This login link is not for the command that is waiting. Log in again.')
    return undefined
  }
  const error = url.searchParams.get('error')
  if (error !== null) {
    page(res, 403, `The login for ${appName} failed. You can close this tab.`)
    const message = `the login for ${appName} failed: ${describeError(error)}`
    const code = error === 'access_denied' ? ClientErrorCode.accessDenied
      : ClientErrorCode.loginFailed
    return new ClientError(code, message)
  }
  const token = url.searchParams.get('token') ?? ''
  if (!looksLikeJwt(token)) {
    page(res, 400, 'The login answer carried no token. Log in again.')
    return new ClientError(ClientErrorCode.loginFailed, `the login for ${appName} sent no token`)
  }
  page(res, 200, `You are logged in to ${appName}. You can close this tab.`)
  return token
}

function describeError(error: string): string {
  const text = error.replace(/[^\x20-\x7e]/g, '').slice(0, 200)
  if (text === 'access_denied') return 'access denied by policy'
  return text === '' ? 'unknown error' : text
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function page(res: ServerResponse, status: number, text: string): void {
  const escaped = text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)
  const body = `<!doctype html><meta charset="utf-8"><title>Keyway</title><p>${escaped}</p>\n`
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    connection: 'close',
  })
  res.end(body)
}
