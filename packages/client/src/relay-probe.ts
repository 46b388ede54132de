import * as http from 'node:http'
import * as https from 'node:https'
import { lookupFor, type AppTarget } from './app-url.js'
import { CLI_LOGIN_PATH } from './login.js'
import { unreachableError } from './refusal.js'

/** Options of {@link checkRelayReachable}. */
export interface RelayProbeOptions {
  /** Connect, TLS and the answer's head together. Default 10,000 ms. */
  readonly timeoutMs?: number
}

/**
 * Resolves once the relay of `app` answers HTTP at all (any status will do); throws
 * `ERR_RELAY_UNREACHABLE` when it cannot be reached (name resolution, connect, TLS, no
 * answer in time). `keyway access login` asks this before it opens a browser that would
 * only wait, for minutes, on a relay nobody can reach.
 */
export function checkRelayReachable(app: AppTarget, options: RelayProbeOptions = {}):
  Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const lookup = lookupFor(app.hostname)
  const get = app.secure ? https.request : http.request
  return new Promise<void>((resolve, reject) => {
    const request = get(new URL(CLI_LOGIN_PATH, app.url.origin), {
      method: 'HEAD',
      agent: false,
      timeout: timeoutMs,
      ...(lookup === undefined ? {} : { lookup }),
    }, (response) => {
      response.resume()
      request.destroy()
      resolve()
    })
    request.once('timeout', () => {
      request.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' }))
    })
    request.once('error', (err) => reject(unreachableError(err, app)))
    request.end()
  })
}
