import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'

import { createRemoteJWKSet, customFetch, jwtVerify, type JWTPayload } from 'jose'
import { headerPairs, request } from '@keyway/testkit'

/**
 * The origin of docs/origin-validation.md, as code: it trusts no header, only an assertion
 * whose signature checks out against the relay's published keys, with the expected `iss`,
 * `aud` and algorithm. The only addition for the tests is `[customFetch]`, because Node's
 * resolver on the test machine does not send `*.localhost` names to loopback.
 */
export function keywayVerifier(options: { authDomain: string; port: number; app: string }) {
  const audience = createHash('sha256').update(`keyway-app\0${options.app}`).digest('hex')
  const keys = createRemoteJWKSet(
    new URL(`http://${options.authDomain}:${options.port}/.keyway/certs`),
    { [customFetch]: loopbackFetch },
  )

  return async function keywayUser(req: IncomingMessage): Promise<JWTPayload | undefined> {
    const token = req.headers['keyway-jwt-assertion']
    if (typeof token !== 'string') return undefined
    const { payload } = await jwtVerify(token, keys, {
      issuer: `https://${options.authDomain}`,
      audience,
      algorithms: ['ES256'],
    })
    return payload
  }
}

async function loopbackFetch(url: string): Promise<Response> {
  const answer = await request(url)
  return new Response(new Uint8Array(answer.body), {
    status: answer.status,
    headers: { 'content-type': String(answer.headers['content-type'] ?? '') },
  })
}

/** What the identity origin answers with `Accept: application/json`. */
export interface OriginView {
  readonly app: string
  readonly url: string
  /** The verified claims, or null without a valid assertion. */
  readonly user: JWTPayload | null
  /** jose's error code when an assertion was sent but did not verify. */
  readonly error: string | null
  readonly headers: Array<[string, string]>
}

/**
 * A request handler for several apps behind one origin: the app is chosen by the host name
 * (`APP.localhost`), and each request's assertion is verified for that app. A request that
 * accepts JSON gets {@link OriginView}; others (browsers) a small page naming the user.
 */
export function identityOrigin(options: { authDomain: string; port: () => number }) {
  const verifiers = new Map<string, ReturnType<typeof keywayVerifier>>()
  const verifierFor = (app: string) => {
    let verifier = verifiers.get(app)
    if (verifier === undefined) {
      verifier = keywayVerifier({ authDomain: options.authDomain, port: options.port(), app })
      verifiers.set(app, verifier)
    }
    return verifier
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    req.resume()
    const app = String(req.headers['x-forwarded-host'] ?? req.headers.host ?? '').split('.')[0]
    verifierFor(app ?? '')(req).then(
      (user) => answer(req, res, { app: app ?? '', user: user ?? null, error: null }),
      (err: unknown) => answer(req, res, { app: app ?? '', user: null,
        error: String((err as { code?: unknown }).code ?? err) }),
    )
  }
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  view: Pick<OriginView, 'app' | 'user' | 'error'>,
): void {
  const full: OriginView = { ...view, url: req.url ?? '', headers: headerPairs(req.rawHeaders) }
  if (!(req.headers.accept ?? '').includes('application/json')) {
    const who = view.user?.['email'] ?? view.user?.sub ?? 'nobody'
    res.setHeader('content-type', 'text/html; charset=utf-8')
    res.end(`<!doctype html><title>${view.app}</title>` +
      `<h1 id="user">${String(who)}</h1><p id="app">${view.app}</p>`)
    return
  }
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(full))
}
