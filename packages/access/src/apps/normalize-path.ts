/** A request path decoded once for matching, or why it is refused. */
export type NormalizedPath =
  | { readonly ok: true; readonly path: string; readonly query: string }
  | { readonly ok: false; readonly reason: string }

const maxPathBytes = 8192

/**
 * Decodes and normalises the path of a request target (`/a/b?x=1`) once, so that the same
 * path picks the app and reaches the origin. Refuses, rather than guesses, any form that
 * servers read differently: encoded `/`, `\` or NUL, double encoding, a literal backslash,
 * control characters, malformed or non-UTF-8 escapes, and any `.` or `..` segment (an origin
 * would resolve them and reach a path that was not the one checked). Repeated slashes are
 * collapsed for matching.
 */
export function normalizePath(target: string): NormalizedPath {
  if (target.length > maxPathBytes) return refuse(`path longer than ${maxPathBytes} bytes`)
  if (!target.startsWith('/')) return refuse('path does not start with "/"')
  const queryAt = target.indexOf('?')
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt)
  const query = queryAt === -1 ? '' : target.slice(queryAt)
  if (rawPath.includes('\\')) return refuse('backslash in path')
  if (/%(2f|5c|00)/i.test(rawPath)) return refuse('encoded "/", "\\" or NUL in path')
  if (/%25[0-9a-f]{2}/i.test(rawPath)) return refuse('double encoding in path')
  if (/%(?![0-9a-f]{2})/i.test(rawPath)) return refuse('malformed percent escape in path')

  let decoded: string
  try {
    decoded = decodeURIComponent(rawPath)
  } catch {
    return refuse('percent escape that is not UTF-8')
  }
  if (/[\u0000-\u001f\u007f]/.test(decoded)) return refuse('control character in path')
  if (decoded.includes('\\')) return refuse('backslash in path')
  const segments = decoded.split('/')
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return refuse('dot segment in path')
  }
  return { ok: true, path: decoded.replace(/\/{2,}/g, '/'), query }
}

function refuse(reason: string): NormalizedPath {
  return { ok: false, reason }
}
