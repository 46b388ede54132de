import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:net'

import { TestkitError, TestkitErrorCode } from './errors.js'
import type { ProcessHandle } from './spawn-process.js'

/**
 * Returns `count` distinct free TCP ports on 127.0.0.1. All listeners are held open together
 * before any is closed, so the ports differ from each other.
 */
export async function freePorts(count: number): Promise<number[]> {
  if (!Number.isInteger(count) || count < 1 || count > 1_000) {
    throw new TypeError(`'count' must be an integer from 1 to 1000, got ${count}`)
  }
  const servers: Server[] = []
  try {
    for (let index = 0; index < count; index++) {
      const server = createServer()
      servers.push(server)
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(0, '127.0.0.1', () => resolve())
      })
    }
    return servers.map((server) => {
      const address = server.address()
      if (address === null || typeof address === 'string') throw new Error('no tcp address')
      return address.port
    })
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    )
  }
}

/** Returns a free TCP port on 127.0.0.1 (listens on port 0, reads the port, closes). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1)
  return port as number
}

/** Options of {@link waitForListen}. */
export interface WaitForListenOptions {
  /** Default 15,000 ms. */
  readonly timeoutMs?: number
  /** Fail at once, with its output, when this process exits before listening. */
  readonly process?: ProcessHandle
  /** Extra text for the error message, such as the tail of a log file. */
  readonly describeFailure?: () => string
}

const pollIntervalMs = 100

/**
 * Waits until something listens on TCP `port`, asking `ss` every 100 ms. It never connects:
 * a probe would be a real session to sshd or an RDP server and show up in its log.
 */
export async function waitForListen(
  port: number,
  options: WaitForListenOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 15_000
  const deadline = Date.now() + timeoutMs
  const failure = (code: TestkitErrorCode, why: string): TestkitError => {
    const tail = options.process ? options.process.log.tail() : ''
    const extra = options.describeFailure?.() ?? ''
    const details = [tail, extra].filter((text) => text !== '').join('\n')
    return new TestkitError(code, `nothing listens on port ${port}: ${why}\n${details}`)
  }

  for (;;) {
    if (await isListening(port)) return
    const exited = options.process?.exitInfo
    if (exited) {
      const how = exited.signal ? `signal ${exited.signal}` : `code ${exited.code}`
      throw failure(TestkitErrorCode.processExited, `'${options.process?.name}' exited (${how})`)
    }
    if (Date.now() >= deadline) {
      throw failure(TestkitErrorCode.timeout, `still nothing after ${timeoutMs} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs))
  }
}

/** True when `ss` lists a TCP listener on `port` (any address). */
export function isListening(port: number): Promise<boolean> {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    return Promise.reject(new TypeError(`'port' must be an integer from 1 to 65535, got ${port}`))
  }
  return new Promise((resolve, reject) => {
    execFile('ss', ['-Hltn', `sport = :${port}`], { timeout: 5_000 }, (err, stdout) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
        const message = missing
          ? "'ss' is missing: install the Debian package 'iproute2'"
          : `'ss' failed: ${err.message}`
        reject(new TestkitError(TestkitErrorCode.missingTool, message, { cause: err }))
        return
      }
      resolve(stdout.trim() !== '')
    })
  })
}
