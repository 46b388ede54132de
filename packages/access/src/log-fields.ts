/** Log field names of the access layer, kept in one place so that logs stay greppable. */
export const LogField = {
  reqId: 'reqId',
  app: 'app',
  user: 'user',
  subject: 'sub',
  idp: 'idp',
  serviceToken: 'serviceToken',
  decision: 'decision',
  policy: 'policy',
  reason: 'reason',
  status: 'status',
  host: 'host',
  method: 'method',
  path: 'path',
  clientIp: 'clientIp',
  kid: 'kid',
  err: 'err',
} as const

/**
 * Paths that pino must redact in every access log line: cookies, authorization headers, the
 * service token secret header, and any field named like a secret or token.
 */
export const redactPaths: readonly string[] = Object.freeze([
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["keyway-access-client-secret"]',
  'res.headers["set-cookie"]',
  'clientSecret',
  'secret',
  'token',
  '*.clientSecret',
  '*.secret',
  '*.token',
])
