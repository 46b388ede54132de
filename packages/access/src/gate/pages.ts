/** The few HTML pages the relay shows itself. No scripts; every value is escaped. */

/** Escapes text for an HTML text node or a quoted attribute. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

/** A whole page with `title` as its heading and `body` (already escaped HTML) below it. */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
a.button{display:block;margin:.5rem 0;padding:.7rem 1rem;border:1px solid #888;border-radius:6px;
text-decoration:none;color:inherit}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`
}

/** Lets the user pick an identity provider; each entry is a link. */
export function chooserPage(choices: ReadonlyArray<{ name: string; href: string }>): string {
  const links = choices
    .map((choice) => `<a class="button" href="${escapeHtml(choice.href)}">` +
      `Sign in with ${escapeHtml(choice.name)}</a>`)
    .join('\n')
  return page('Sign in', `<p>Choose how to sign in.</p>\n${links}`)
}

/** Access refused. The reason is logged, never shown. */
export function forbiddenPage(requestId: string): string {
  return page('Access denied', '<p>You do not have access to this application.</p>\n' +
    `<p>Request id: <code>${escapeHtml(requestId)}</code></p>`)
}

/** A login that could not be completed. */
export function loginFailedPage(message: string, requestId: string): string {
  return page('Sign-in failed', `<p>${escapeHtml(message)}</p>\n` +
    `<p>Request id: <code>${escapeHtml(requestId)}</code></p>`)
}

/** Shown after logout. */
export function signedOutPage(): string {
  return page('Signed out', '<p>You are signed out of every application.</p>')
}

/** The auth domain's front page. */
export function authHomePage(email: string | undefined): string {
  return page('Keyway Access', email === undefined ? '<p>You are not signed in.</p>'
    : `<p>Signed in as <strong>${escapeHtml(email)}</strong>.</p>`)
}
