import { request } from 'node:http'

/** What the fake browser sent back to the loopback listener. */
export interface FakeBrowserVisit {
  loginUrl: URL
  status: number
}

/**
 * A stand-in for the browser plus the relay's login: reads `port` and `nonce` from the
 * login URL and calls the loopback listener with `query` (a token, or an error), after
 * `delayMs`.
 */
export function fakeBrowser(
  answer: (nonce: string) => Record<string, string>,
  options: { delayMs?: number; visits?: FakeBrowserVisit[] } = {},
): (url: string) => Promise<void> {
  return async (url: string) => {
    const loginUrl = new URL(url)
    const port = loginUrl.searchParams.get('port')
    const nonce = loginUrl.searchParams.get('nonce') ?? ''
    if (options.delayMs !== undefined) {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs))
    }
    const query = new URLSearchParams(answer(nonce)).toString()
    const status = await get(`http://127.0.0.1:${port}/callback?${query}`)
    options.visits?.push({ loginUrl, status })
  }
}

/** One GET on loopback; resolves with the status. */
export function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode ?? 0))
    })
    req.once('error', reject)
    req.end()
  })
}
