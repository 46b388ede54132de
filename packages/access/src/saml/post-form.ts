import { createHash } from 'node:crypto'

/** Inputs of {@link renderPostForm}. */
export interface PostFormInput {
  /** A checked ACS URL of the app. */
  readonly acsUrl: string
  /** The base64 `SAMLResponse`. */
  readonly samlResponse: string
  /** Sent back exactly as received (or the app's default relay state); omitted when unset. */
  readonly relayState: string | undefined
}

/** A page and the headers to send it with. */
export interface HtmlPage {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

const submitScript = 'document.forms[0].submit()'
const submitScriptHash = createHash('sha256').update(submitScript).digest('base64')

/**
 * The page that posts the `Response` to the ACS URL by itself (a button when scripts are off).
 * Its content security policy allows that one script and nothing else to run.
 */
export function renderPostForm(input: PostFormInput): HtmlPage {
  const relay = input.relayState === undefined ? ''
    : `\n<input type="hidden" name="RelayState" value="${escapeHtml(input.relayState)}">`
  const body = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Signing in</title></head>
<body>
<form method="post" action="${escapeHtml(input.acsUrl)}">
<input type="hidden" name="SAMLResponse" value="${escapeHtml(input.samlResponse)}">${relay}
<noscript><p>Scripts are off. Press the button to continue.</p>
<button type="submit">Continue</button></noscript>
</form>
<script>${submitScript}</script>
</body>
</html>
`
  // No form-action: browsers apply it to the redirects after the post as well, and an ACS
  // commonly redirects to another host of the service provider.
  return Object.freeze({
    status: 200,
    headers: pageHeaders(`script-src 'sha256-${submitScriptHash}'`),
    body,
  })
}

/** Inputs of {@link renderMessagePage}. */
export interface MessagePageInput {
  readonly status: number
  readonly title: string
  /** Shown as text. A policy denial says no more than that access was refused. */
  readonly message: string
  /** The request id, so that the user can quote it and support can find the audit record. */
  readonly requestId?: string | undefined
}

/** A plain page for a SAML error (bad request) or a policy denial. No assertion is issued. */
export function renderMessagePage(input: MessagePageInput): HtmlPage {
  const reference = input.requestId === undefined ? ''
    : `\n<p>Reference: <code>${escapeHtml(input.requestId)}</code></p>`
  const body = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title></head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<p>${escapeHtml(input.message)}</p>${reference}
</body>
</html>
`
  return Object.freeze({ status: input.status, headers: pageHeaders("form-action 'none'"), body })
}

/** The denial page of app `appName`: what the user may know, nothing of the policy. */
export function renderDenialPage(appName: string, requestId?: string): HtmlPage {
  return renderMessagePage({
    status: 403,
    title: 'Access denied',
    message: `Your account may not sign in to ${appName}. Ask your administrator for access.`,
    requestId,
  })
}

function pageHeaders(extraPolicy: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'content-security-policy': `default-src 'none'; frame-ancestors 'none'; ${extraPolicy}`,
  }
}

/** Escapes text for an HTML text node or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}
