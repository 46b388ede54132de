import type { IncomingMessage } from 'node:http'

import type { CorsConfig } from '../config/types.js'
import type { GateDecision, HeaderList } from './types.js'

/** A CORS preflight: `OPTIONS` with both `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && typeof req.headers.origin === 'string' &&
    typeof req.headers['access-control-request-method'] === 'string'
}

/**
 * The relay's own answer to a preflight from the app's configured values. An origin not
 * listed gets a 204 without `Access-Control-Allow-*` headers, which the browser refuses.
 */
export function answerPreflight(
  cors: CorsConfig & { preflight: 'relay' },
  req: IncomingMessage,
): GateDecision {
  const origin = String(req.headers.origin)
  const headers: HeaderList = [['Vary', 'Origin']]
  const listed = cors.allowedOrigins.includes(origin)
  const any = cors.allowedOrigins.includes('*')
  if (listed || any) {
    headers.push(['Access-Control-Allow-Origin', listed || cors.allowCredentials ? origin : '*'])
    headers.push(['Access-Control-Allow-Methods', cors.allowedMethods.join(', ')])
    if (cors.allowedHeaders.length > 0) {
      headers.push(['Access-Control-Allow-Headers', cors.allowedHeaders.join(', ')])
    }
    if (cors.allowCredentials) headers.push(['Access-Control-Allow-Credentials', 'true'])
    headers.push(['Access-Control-Max-Age', String(cors.maxAgeSeconds)])
  }
  return { action: 'respond', status: 204, headers, body: '' }
}
