import { createPublicKey, X509Certificate } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { deflateRawSync } from 'node:zlib'

import { samlKeyDefaults, SamlKeyStore } from '@keyway/access/saml'
import { SAML, ValidateInResponseTo, type SamlConfig } from '@node-saml/node-saml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar, request, stopAll, type LoopbackResponse } from '@keyway/testkit'

import { run, writeFiles } from '../../../access/test/saml/support.js'
import { runKeyway, waitForLog } from './support/keyway-process.js'
import {
  browse, postedResponse, postForm, startLoginStack, type LoginStack, type PostedResponse,
} from './support/saml-stack.js'

const pysaml2Script = fileURLToPath(
  new URL('../../../access/test/saml/pysaml2_sp.py', import.meta.url))
const staffOnly = [{ name: 'engineers', action: 'allow', include: [{ group: ['eng'] }] }]
const wiki = {
  name: 'wiki', type: 'saml', entityId: 'https://wiki.example.test/saml/metadata',
  acsUrls: ['https://wiki.example.test/saml/acs'],
  attributes: { email: 'email', displayName: 'name', memberOf: 'groups' },
  policies: staffOnly,
}
const crm = {
  name: 'crm', type: 'saml', entityId: 'https://crm.example.test/saml',
  acsUrls: ['https://crm.example.test/saml/consume'], idpInitiated: true,
  defaultRelayState: 'https://crm.example.test/home', policies: staffOnly,
}
const vault = {
  name: 'vault', type: 'saml', entityId: 'https://vault.example.test/saml',
  acsUrls: ['https://vault.example.test/saml/acs'],
  policies: [{ name: 'bob-only', action: 'allow', include: [{ email: ['bob@example.test'] }] }],
}
const alice = { email: 'alice@example.test', groups: ['eng', 'wiki-admins'],
  name: '</saml:AttributeValue><saml:AttributeValue>admin' }

let stack: LoginStack
/** Alice's browser after one login, to reuse the auth-domain session. */
let aliceJar: CookieJar
let scratch: string

const ssoUrl = (app: string): string => stack.authUrl(`/_keyway/saml/${app}/sso`)
const metadataUrl = (app: string): string => stack.authUrl(`/_keyway/saml/${app}/metadata`)

async function certificates(app: string): Promise<string[]> {
  const xml = (await request(metadataUrl(app))).text()
  return [...xml.matchAll(/<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/g)]
    .map((match) => match[1] ?? '')
}

/** A strict node-saml service provider of `app` (both signatures, no clock skew). */
async function strictSp(
  app: { name: string; entityId: string; acsUrls: string[] },
  overrides: Partial<SamlConfig> = {},
) {
  return new SAML({
    entryPoint: ssoUrl(app.name),
    callbackUrl: app.acsUrls[0] ?? '',
    issuer: app.entityId,
    audience: app.entityId,
    idpIssuer: metadataUrl(app.name),
    idpCert: await certificates(app.name),
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    acceptedClockSkewMs: 0,
    ...overrides,
  })
}

/** The reference the relay's pages show, which is the audit record's `reqId`. */
function reference(page: LoopbackResponse): string {
  const match = /Reference: <code>([^<]+)<\/code>/.exec(page.text())
  if (match?.[1] === undefined) throw new Error(`no reference on the page:\n${page.text()}`)
  return match[1]
}

function auditOf(page: LoopbackResponse): Promise<Record<string, unknown>> {
  return waitForLog(stack.relay.handle, 'access decision', { fields: { reqId: reference(page) } })
}

/** A Redirect-binding `SAMLRequest` value for a hand-written AuthnRequest document. */
function redirectValue(xml: string): string {
  return deflateRawSync(Buffer.from(xml)).toString('base64')
}

function posted(page: LoopbackResponse): PostedResponse {
  const found = postedResponse(page)
  if (found === undefined) throw new Error(`no SAML post form (${page.status}):\n${page.text()}`)
  return found
}

/** `xmlsec1 --verify` of the Response's or the Assertion's signature with one certificate. */
async function xmlsecVerify(xml: string, certificateBody: string,
  signatureOf: 'Response' | 'Assertion') {
  const pem = `-----BEGIN CERTIFICATE-----\n${certificateBody}\n-----END CERTIFICATE-----\n`
  const publicKey = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString()
  const files = writeFiles(scratch, { 'response.xml': xml, 'idp.pub': publicKey })
  const xpath = signatureOf === 'Response'
    ? "/*[local-name()='Response']/*[local-name()='Signature']"
    : "//*[local-name()='Assertion']/*[local-name()='Signature']"
  return run('/usr/bin/xmlsec1', ['--verify', '--enabled-key-data', 'key-name',
    '--pubkey-pem', files['idp.pub'] ?? '',
    '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
    '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:protocol:Response',
    '--node-xpath', xpath, files['response.xml'] ?? ''])
}

/**
 * Leaves a key file in the relay's data directory as a year of use makes it: the signing key
 * near the end of its term and its successor published for the overlap.
 */
function seedRotatingKeys(dataDir: string): void {
  const { rotationMs, overlapMs } = samlKeyDefaults
  SamlKeyStore.open({ dataDir, nowMs: () => Date.now() - rotationMs + overlapMs / 2 })
  SamlKeyStore.open({ dataDir })
}

async function pysaml2(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = await run('/usr/bin/python3', [pysaml2Script], JSON.stringify(args))
  if (result.code !== 0) throw new Error(`pysaml2_sp.py failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as Record<string, unknown>
}

beforeAll(async () => {
  stack = await startLoginStack({
    apps: [wiki, crm, vault],
    users: { alice, bob: { email: 'bob@example.test', groups: ['sales'] } },
    prepare: seedRotatingKeys,
  })
  scratch = stack.dir.path
  const sp = await strictSp(wiki)
  const first = await browse(await sp.getAuthorizeUrlAsync('warm-up', undefined, {}), 'alice')
  expect(posted(first.response).relayState).toBe('warm-up')
  aliceJar = first.jar
})

afterAll(async () => {
  await stopAll()
  await stack?.provider.close()
  await stack?.dir.remove()
})

describe('keyway relay as a SAML identity provider', () => {
  it('serves each app\'s metadata at a stable URL with its certificate and SSO bindings',
    async () => {
      const first = await request(metadataUrl('wiki'))
      const again = await request(metadataUrl('wiki'))
      expect(first.status).toBe(200)
      expect(first.headers['content-type']).toBe('application/samlmetadata+xml')
      expect(again.text()).toBe(first.text())
      const xml = first.text()
      expect(xml).toContain(`entityID="${metadataUrl('wiki')}"`)
      for (const binding of ['HTTP-Redirect', 'HTTP-POST']) {
        expect(xml).toContain(`<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:` +
          `bindings:${binding}" Location="${ssoUrl('wiki')}"/>`)
      }
      const [body] = await certificates('wiki')
      const certificate = new X509Certificate(Buffer.from(body ?? '', 'base64'))
      expect(certificate.subject).toContain('Keyway SAML IdP')
      expect(await certificates('crm')).toEqual(await certificates('wiki'))
      expect((await request(metadataUrl('nope'))).status).toBe(404)
    })

  it('logs in through the provider, then posts a response node-saml accepts strictly',
    async () => {
      const since = stack.relay.handle.lines().length
      const sp = await strictSp(wiki)
      const start = await sp.getAuthorizeUrlAsync('deep/link?x=1&y=<2>', undefined, {})
      const result = await browse(start, 'alice')
      expect(result.visited.some((step) => step.includes(stack.provider.issuer))).toBe(true)
      const form = posted(result.response)
      expect(result.response.headers['content-security-policy']).toMatch(/script-src 'sha256-/)
      expect(form.action).toBe('https://wiki.example.test/saml/acs')
      expect(form.relayState).toBe('deep/link?x=1&y=<2>')

      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.samlResponse })
      expect(profile?.nameID).toBe('alice@example.test')
      expect(profile?.['memberOf']).toEqual(['eng', 'wiki-admins'])
      expect(profile?.['displayName']).toBe(alice.name)
      const record = await waitForLog(stack.relay.handle, 'access decision',
        { since, fields: { app: 'wiki', decision: 'allow' } })
      expect(record).toMatchObject({ user: 'alice@example.test', reason: 'saml_sp_initiated',
        policy: 'engineers', path: '/_keyway/saml/wiki/sso' })
    })

  it('answers a POST-binding request at once from the auth-domain session', async () => {
    const sp = await strictSp(wiki, { skipRequestCompression: true })
    const html = await sp.getAuthorizeFormAsync('post-state')
    const field = (name: string) =>
      new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? ''
    const page = await postForm(ssoUrl('wiki'), { SAMLRequest: field('SAMLRequest'),
      RelayState: field('RelayState') }, aliceJar)
    const form = posted(page)
    expect(form.relayState).toBe('post-state')
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.samlResponse })
    expect(profile?.nameID).toBe('alice@example.test')
  })

  it('sends a ForceAuthn request back to the provider despite the session', async () => {
    const sp = await strictSp(wiki, { forceAuthn: true })
    const start = await sp.getAuthorizeUrlAsync('again', undefined, {})
    const result = await browse(start, 'alice', aliceJar)
    const atProvider = result.visited.filter((step) => step.includes(stack.provider.issuer))
    expect(atProvider[0]).toContain('prompt=login')
    const form = posted(result.response)
    expect(form.relayState).toBe('again')
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.samlResponse })
    expect(profile?.nameID).toBe('alice@example.test')
    // Each ForceAuthn request needs its own provider login, even right after another.
    const next = await request(await sp.getAuthorizeUrlAsync('fresh', undefined, {}),
      { jar: aliceJar })
    expect(next.status).toBe(302)
    expect(next.location?.pathname).toBe('/.keyway/login')
    expect(next.location?.searchParams.get('prompt')).toBe('login')
    const madeUp = new URL(await sp.getAuthorizeUrlAsync('forged', undefined, {}))
    madeUp.searchParams.set('keyway_forced', 'made-up-marker')
    expect((await request(madeUp, { jar: aliceJar })).location?.searchParams.get('prompt'))
      .toBe('login')
  })

  it('posts a response pysaml2 accepts, and pysaml2 rejects it tampered', async () => {
    const { metadata } = writeFiles(scratch, { metadata: (await request(metadataUrl('wiki')))
      .text() })
    const sp = { metadata, entityId: wiki.entityId, acsUrl: wiki.acsUrls[0] }
    const made = await pysaml2({ ...sp, command: 'request', binding: 'redirect',
      relayState: 'py-state' })
    const start = new URL(ssoUrl('wiki'))
    start.searchParams.set('SAMLRequest', String(made['samlRequest']))
    start.searchParams.set('RelayState', String(made['relayState']))
    const form = posted((await browse(start.href, 'alice', aliceJar)).response)
    expect(form.relayState).toBe('py-state')

    const accepted = await pysaml2({ ...sp, command: 'verify', requestId: made['id'],
      samlResponse: form.samlResponse })
    expect(accepted).toMatchObject({ ok: true, nameId: 'alice@example.test',
      inResponseTo: made['id'], issuer: metadataUrl('wiki') })
    const tampered = form.xml.replace('>alice@example.test</saml:NameID>',
      '>bob@example.test</saml:NameID>')
    expect(tampered).not.toBe(form.xml)
    const rejected = await pysaml2({ ...sp, command: 'verify', requestId: made['id'],
      samlResponse: Buffer.from(tampered).toString('base64') })
    expect(rejected['ok']).toBe(false)
    expect(String(rejected['error'])).toMatch(/signature/i)
  })

  it('posts a response whose signatures xmlsec1 --verify checks', async () => {
    const sp = await strictSp(wiki)
    const start = await sp.getAuthorizeUrlAsync('x', undefined, {})
    const form = posted((await browse(start, 'alice', aliceJar)).response)
    const [current] = await certificates('wiki')
    for (const signatureOf of ['Response', 'Assertion'] as const) {
      const result = await xmlsecVerify(form.xml, current ?? '', signatureOf)
      expect(result.stderr, signatureOf).toContain('OK')
      expect(result.code, signatureOf).toBe(0)
    }
    const tampered = form.xml.replace('>wiki-admins<', '>root-admins<')
    expect(tampered).toContain('root-admins')
    expect((await xmlsecVerify(tampered, current ?? '', 'Assertion')).code).toBe(1)
  })

  it('lists both certificates while a key rotation overlaps, and signs with the current',
    async () => {
      const published = await certificates('wiki')
      expect(published).toHaveLength(2)
      const [current, next] = published
      const sp = await strictSp(wiki)
      const form = posted((await browse(await sp.getAuthorizeUrlAsync('k', undefined, {}),
        'alice', aliceJar)).response)
      expect((await xmlsecVerify(form.xml, current ?? '', 'Response')).code).toBe(0)
      expect((await xmlsecVerify(form.xml, next ?? '', 'Response')).code).toBe(1)
      const nextOnly = await strictSp(wiki, { idpCert: next ?? '',
        validateInResponseTo: ValidateInResponseTo.never })
      await expect(nextOnly.validatePostResponseAsync({ SAMLResponse: form.samlResponse }))
        .rejects.toThrow(/signature/i)
    })

  it('launches an app that allows IdP-initiated login with its default relay state',
    async () => {
      const since = stack.relay.handle.lines().length
      const page = await request(stack.authUrl('/_keyway/saml/crm/launch'), { jar: aliceJar })
      const form = posted(page)
      expect(form.action).toBe('https://crm.example.test/saml/consume')
      expect(form.relayState).toBe('https://crm.example.test/home')
      expect(form.xml).not.toContain('InResponseTo')
      const sp = await strictSp(crm, { validateInResponseTo: ValidateInResponseTo.ifPresent })
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.samlResponse })
      expect(profile?.nameID).toBe('alice@example.test')
      await waitForLog(stack.relay.handle, 'access decision',
        { since, fields: { app: 'crm', decision: 'allow', reason: 'saml_idp_initiated' } })
    })

  it('refuses an IdP-initiated launch of an app that does not enable it', async () => {
    const page = await request(stack.authUrl('/_keyway/saml/wiki/launch'), { jar: aliceJar })
    expect(page.status).toBe(404)
    expect(postedResponse(page)).toBeUndefined()
    expect(await auditOf(page)).toMatchObject({ app: 'wiki', decision: 'deny',
      reason: 'saml_idp_initiated_disabled' })
  })
})

describe('keyway relay refusing SAML requests', () => {
  it('shows an error page for an ACS URL the app does not list', async () => {
    const sp = await strictSp(wiki, { callbackUrl: 'https://evil.example.test/saml/acs' })
    const page = await request(await sp.getAuthorizeUrlAsync('', undefined, {}),
      { jar: aliceJar })
    expect(page.status).toBe(400)
    expect(page.text()).toContain('https://evil.example.test/saml/acs')
    expect(page.text()).not.toContain('SAMLResponse')
    expect(await auditOf(page)).toMatchObject({ app: 'wiki', decision: 'deny',
      reason: 'saml_acs_unknown' })
  })

  it('shows an error page for an issuer that is not the app\'s entity ID', async () => {
    const sp = await strictSp(wiki, { issuer: 'https://other.example.test/saml' })
    const page = await request(await sp.getAuthorizeUrlAsync('', undefined, {}),
      { jar: aliceJar })
    expect(page.status).toBe(400)
    expect(page.text()).not.toContain('SAMLResponse')
    expect(await auditOf(page)).toMatchObject({ app: 'wiki', decision: 'deny',
      reason: 'saml_issuer_unknown' })
  })

  it('refuses an AuthnRequest carrying a DTD before reading anything else', async () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
  xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_dtd1" Version="2.0"
  IssueInstant="${new Date().toISOString()}" Destination="${ssoUrl('wiki')}"
  AssertionConsumerServiceURL="${wiki.acsUrls[0]}"><saml:Issuer>&lol2;</saml:Issuer>
</samlp:AuthnRequest>`
    const url = new URL(ssoUrl('wiki'))
    url.searchParams.set('SAMLRequest', redirectValue(xml))
    const page = await request(url, { jar: aliceJar })
    expect(page.status).toBe(400)
    expect(page.text()).not.toContain('SAMLResponse')
    expect(await auditOf(page)).toMatchObject({ app: 'wiki', decision: 'deny',
      reason: 'saml_xml_forbidden' })
  })

  it('shows the denial page and audits the denial when the policies refuse', async () => {
    const sp = await strictSp(vault)
    const page = (await browse(await sp.getAuthorizeUrlAsync('v', undefined, {}), 'alice',
      aliceJar)).response
    expect(page.status).toBe(403)
    expect(page.text()).toContain('Access denied')
    expect(page.text()).not.toContain('SAMLResponse')
    expect(page.text()).not.toContain('bob-only')
    expect(await auditOf(page)).toMatchObject({ app: 'vault', decision: 'deny',
      reason: 'no_matching_policy', user: 'alice@example.test', sub: 'alice', idp: 'corp' })
    const logs = await runKeyway(['logs', '--config', stack.relay.configFile, '--app', 'vault',
      '--json'])
    expect(logs.code, logs.stderr).toBe(0)
    const records = logs.stdout.trim().split('\n').map((line) =>
      JSON.parse(line) as Record<string, unknown>)
    expect(records.find((record) => record['reqId'] === reference(page))).toMatchObject({
      decision: 'deny', reason: 'no_matching_policy', email: 'alice@example.test',
      path: '/_keyway/saml/vault/sso' })
  })

  it('answers a passive request without a session with a signed NoPassive status', async () => {
    const sp = await strictSp(wiki, { passive: true })
    const start = await sp.getAuthorizeUrlAsync('quiet', undefined, {})
    const page = await request(start)
    const form = posted(page)
    expect(form.relayState).toBe('quiet')
    expect(form.xml).not.toContain('<saml:Assertion')
    expect(await sp.validatePostResponseAsync({ SAMLResponse: form.samlResponse }))
      .toMatchObject({ profile: null, loggedOut: false })
    const tampered = form.xml.replace('Destination="https://wiki.example.test/',
      'Destination="https://evil.example.test/')
    expect(tampered).not.toBe(form.xml)
    await expect(sp.validatePostResponseAsync({
      SAMLResponse: Buffer.from(tampered).toString('base64') }))
      .rejects.toThrow(/Invalid (document )?signature/)
    const record = (await waitForLog(stack.relay.handle, 'access decision',
      { fields: { app: 'wiki', reason: 'saml_no_passive' } }))
    expect(record).toMatchObject({ decision: 'deny', path: '/_keyway/saml/wiki/sso' })
  })

  it('answers a request ID once: a replayed AuthnRequest gets an error page', async () => {
    const sp = await strictSp(wiki)
    const start = await sp.getAuthorizeUrlAsync('once', undefined, {})
    const first = await request(start, { jar: aliceJar })
    expect(posted(first).relayState).toBe('once')
    const replay = await request(start, { jar: aliceJar })
    expect(replay.status).toBe(400)
    expect(replay.text()).toContain('answered already')
    expect(postedResponse(replay)).toBeUndefined()
    expect(await auditOf(replay)).toMatchObject({ app: 'wiki', decision: 'deny',
      reason: 'saml_replayed', user: 'alice@example.test' })
  })

  it.each([
    ['no SAMLRequest', 'GET', '', {}, 400, 'saml_request_missing'],
    ['a form of another type', 'POST', 'SAMLRequest=x', { 'content-type': 'text/plain' }, 400,
      'saml_request_encoding'],
    ['a form above the size limit', 'POST', `SAMLRequest=${'A'.repeat(70_000)}`,
      { 'content-type': 'application/x-www-form-urlencoded' }, 413, 'saml_request_too_large'],
  ] as const)('answers an SSO request with %s by an error page', async (_, method, body,
    headers, status, reason) => {
    const page = await request(ssoUrl('wiki'), { method, body: body || undefined,
      headers: { accept: 'text/html', ...headers } })
    expect(page.status).toBe(status)
    expect(await auditOf(page)).toMatchObject({ app: 'wiki', decision: 'deny', reason })
  })

  it('answers 404 for an app that is not configured and 405 for other methods', async () => {
    expect((await request(ssoUrl('nope'))).status).toBe(404)
    const put = await request(ssoUrl('wiki'), { method: 'PUT', body: 'x' })
    expect(put.status).toBe(405)
    expect(put.headers['allow']).toBe('GET, POST')
  })

  it('issues assertions another app\'s service provider refuses', async () => {
    const page = await request(stack.authUrl('/_keyway/saml/crm/launch'), { jar: aliceJar })
    const form = posted(page)
    const wikiSp = await strictSp(wiki, { idpIssuer: undefined,
      validateInResponseTo: ValidateInResponseTo.never })
    await expect(wikiSp.validatePostResponseAsync({ SAMLResponse: form.samlResponse }))
      .rejects.toThrow(/audience/i)
    const crmMetadata = (await request(metadataUrl('crm'))).text()
    const { metadata } = writeFiles(scratch, { metadata: crmMetadata })
    // Trusting crm's metadata and listening at crm's ACS URL, the SP differs only in its
    // entity ID: the audience restriction alone must make it refuse.
    const rejected = await pysaml2({ metadata, entityId: wiki.entityId, acsUrl: crm.acsUrls[0],
      command: 'verify', requestId: null, samlResponse: form.samlResponse })
    expect(rejected['ok']).toBe(false)
    const accepted = await pysaml2({ metadata, entityId: crm.entityId, acsUrl: crm.acsUrls[0],
      command: 'verify', requestId: null, samlResponse: form.samlResponse })
    expect(accepted).toMatchObject({ ok: true, nameId: 'alice@example.test' })
  })
})
