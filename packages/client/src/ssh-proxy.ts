import type { Readable, Writable } from 'node:stream'
import type { AppTarget } from './app-url.js'
import { connectApp, type ConnectOptions } from './connect-app.js'
import { joinStreams } from './join-streams.js'

/** Options of {@link sshProxy}. */
export interface SshProxyOptions extends ConnectOptions {
  /** Default `process.stdin`. */
  readonly stdin?: Readable
  /** Default `process.stdout`, which is never ended. */
  readonly stdout?: Writable
}

/**
 * The SSH `ProxyCommand`: carries standard input to the app at `url` and the app's bytes
 * to standard output, with half-close, until both sides are done. Nothing else is written
 * to standard output: login prompts and errors go to standard error (or reject).
 */
export async function sshProxy(
  url: string | AppTarget,
  options: SshProxyOptions = {},
): Promise<void> {
  const stdin = options.stdin ?? process.stdin
  const stdout = options.stdout ?? process.stdout
  const tunnel = await connectApp(url, options)
  await joinStreams(stdin, stdout, tunnel, { endOutput: stdout !== process.stdout })
}
